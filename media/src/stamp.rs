//! Capture-time stamp for glass-to-glass latency: the wall-clock time (low 32 bits of Unix
//! milliseconds) drawn into the top of each raw I420 frame as two rows of black/white blocks,
//! the second row the bitwise inverse of the first so a reader can reject damaged frames. The
//! receiving side (the test page) reads the blocks back and subtracts from its own clock: both
//! ends run on one machine in the benchmark.
//!
//! Layout (block = width / 40 pixels, square): row 0 = a white start block, 32 value bits
//! (most significant first, white = 1), a black end block; row 1 = the same with every block
//! inverted. Luma 235/16, chroma neutral.

use gstreamer as gst;
use gstreamer_video as gst_video;
use gstreamer_video::prelude::*;
use std::time::{SystemTime, UNIX_EPOCH};

pub const BITS: u32 = 32;
pub const BLOCKS_PER_WIDTH: u32 = 40;

/// The blocks of one row, start and end markers included (true = white).
pub fn row(value: u32) -> Vec<bool> {
    let mut blocks = Vec::with_capacity(BITS as usize + 2);
    blocks.push(true);
    blocks.extend((0..BITS).rev().map(|bit| value >> bit & 1 == 1));
    blocks.push(false);
    blocks
}

/// Reads a value back from the two rows of blocks; `None` if the rows disagree.
pub fn decode(row0: &[bool], row1: &[bool]) -> Option<u32> {
    if row0.len() != BITS as usize + 2 || row1.len() != row0.len() {
        return None;
    }
    if row0.iter().zip(row1).any(|(a, b)| a == b) || !row0[0] || row0[row0.len() - 1] {
        return None;
    }
    Some(
        row0[1..=BITS as usize]
            .iter()
            .fold(0u32, |acc, bit| acc << 1 | u32::from(*bit)),
    )
}

pub fn now_ms_low32() -> u32 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| (d.as_millis() & 0xffff_ffff) as u32)
}

/// Draws `value` into an I420 frame. Frames too small for the strip are left alone.
pub fn draw(frame: &mut gst_video::VideoFrameRef<&mut gst::BufferRef>, value: u32) {
    let width = frame.width() as usize;
    let block = (frame.width() / BLOCKS_PER_WIDTH) as usize;
    if block < 4 || (frame.height() as usize) < block * 2 {
        return;
    }
    let top = row(value);
    for (r, blocks) in [top.clone(), top.iter().map(|b| !b).collect()]
        .iter()
        .enumerate()
    {
        for (plane, scale, on, off) in [
            (0u32, 1usize, 235u8, 16u8),
            (1, 2, 128, 128),
            (2, 2, 128, 128),
        ] {
            let stride = frame.plane_stride()[plane as usize] as usize;
            let Ok(data) = frame.plane_data_mut(plane) else {
                continue;
            };
            let size = block / scale;
            for (i, white) in blocks.iter().enumerate() {
                let x0 = i * size;
                if x0 + size > width / scale {
                    break;
                }
                for y in r * size..(r + 1) * size {
                    let start = y * stride + x0;
                    if let Some(px) = data.get_mut(start..start + size) {
                        px.fill(if *white { on } else { off });
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip_and_damage_is_rejected() {
        for value in [0u32, 1, 0xdead_beef, u32::MAX, now_ms_low32()] {
            let r0 = row(value);
            let r1: Vec<bool> = r0.iter().map(|b| !b).collect();
            assert_eq!(decode(&r0, &r1), Some(value));
            let mut damaged = r1.clone();
            damaged[5] = !damaged[5];
            assert_eq!(decode(&r0, &damaged), None);
        }
    }

    #[test]
    fn the_strip_is_drawn_into_the_luma_plane() {
        crate::init().expect("gstreamer");
        let info = gst_video::VideoInfo::builder(gst_video::VideoFormat::I420, 640, 360)
            .build()
            .expect("info");
        let mut buffer = gst::Buffer::with_size(info.size()).expect("buffer");
        let mut frame = gst_video::VideoFrameRef::from_buffer_ref_writable(
            buffer.get_mut().expect("mut"),
            &info,
        )
        .expect("frame");
        draw(&mut frame, 0x8000_0001);
        let block = 640 / BLOCKS_PER_WIDTH as usize;
        let luma = frame.plane_data(0).expect("luma");
        let stride = frame.plane_stride()[0] as usize;
        let at =
            |bx: usize, by: usize| luma[(by * block + block / 2) * stride + bx * block + block / 2];
        assert_eq!(at(0, 0), 235, "start marker");
        assert_eq!(at(1, 0), 235, "most significant bit set");
        assert_eq!(at(2, 0), 16);
        assert_eq!(at(32, 0), 235, "least significant bit set");
        assert_eq!(at(33, 0), 16, "end marker");
        assert_eq!(at(1, 1), 16, "second row inverted");
    }
}
