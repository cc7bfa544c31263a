// The browser side of the media tests and benchmark. Results are read back by WebDriver:
// window.tc (state, errors, latencies) and window.tcStats() (a getStats summary).
'use strict';
const params = new URLSearchParams(location.search);
const direction = params.get('direction') || 'sendrecv';
const want = { width: +(params.get('w') || 640), height: +(params.get('h') || 360), frameRate: +(params.get('fps') || 30) };
// offerer=page: the page makes the offer and the booth answers (the daemon's booth mode, where
// the practitioner's browser calls); otherwise the page's `join` makes the booth offer.
// restart=1: ICE restart when ICE fails or stays disconnected (as web/static/call.js does).
const pageOffers = params.get('offerer') === 'page';
const restarts = params.get('restart') === '1';
// signal=PATH: the relay's WebSocket path (two pages talking to each other use one end each).
// stampout=1: send the camera through a canvas that draws the capture-time stamp on each frame
// (as the booth's --stamp does), so a receiving page can measure glass to glass.
// codec=H264: the sending page prefers that codec; maxkbps: its video ceiling.
const signalPath = params.get('signal') || 'signal';
const stampOut = params.get('stampout') === '1';
window.tc = { state: 'starting', errors: [], latencies: [], frames: 0, ice: [], restarts: 0,
  freezes: 0, maxGapMs: 0 };
let pc, ws, stream = null;

function send(frame) { ws.send(JSON.stringify(frame)); }

async function start() {
  if (direction !== 'recvonly') {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: want });
    if (stampOut) stream = await stamped(stream);
  }
  pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', iceServers: [] });
  pc.ontrack = (e) => {
    const video = document.getElementById('remote');
    if (!video.srcObject) video.srcObject = new MediaStream();
    video.srcObject.addTrack(e.track);
    if (e.track.kind === 'video' && params.get('stamp')) watchStamps(video);
    if (e.track.kind === 'video') watchGaps(video);
  };
  pc.onicecandidate = (e) => {
    if (e.candidate && e.candidate.candidate) {
      send({ type: 'ice', candidate: e.candidate.candidate, sdpMLineIndex: e.candidate.sdpMLineIndex || 0 });
    }
  };
  pc.onconnectionstatechange = () => { window.tc.state = pc.connectionState; };
  let disconnectedTimer = null;
  pc.oniceconnectionstatechange = () => {
    const state = pc.iceConnectionState;
    window.tc.ice.push(state);
    clearTimeout(disconnectedTimer);
    if (!restarts) return;
    if (state === 'failed') restartIce();
    // Chromium reports `failed` only after ~30 s without consent; a path that stays down for
    // a few seconds is worth a restart already.
    if (state === 'disconnected') disconnectedTimer = setTimeout(restartIce, 3000);
  };
  if (pageOffers) {
    if (stream) {
      for (const track of stream.getTracks()) {
        const t = pc.addTransceiver(track, { direction: direction === 'sendonly' ? 'sendonly' : 'sendrecv', streams: [stream] });
        if (track.kind === 'video') await tuneVideoSender(t);
      }
    } else {
      pc.addTransceiver('audio', { direction: 'recvonly' });
      pc.addTransceiver('video', { direction: 'recvonly' });
    }
  }
  ws = new WebSocket(`ws://${location.host}/${signalPath}`);
  let chain = Promise.resolve();
  ws.onmessage = (ev) => {
    chain = chain.then(() => onFrame(JSON.parse(ev.data))).catch((e) => window.tc.errors.push(String(e)));
  };
  ws.onopen = () => (pageOffers ? offer(false) : send({ type: 'join', role: 'practitioner' }));
}

async function offer(iceRestart) {
  const description = await pc.createOffer({ iceRestart });
  await pc.setLocalDescription(description);
  send({ type: 'offer', sdp: pc.localDescription.sdp });
}

// The sending page's video: the preferred codec first (codec=), the ceiling (maxkbps=).
async function tuneVideoSender(t) {
  const codec = params.get('codec');
  if (codec) {
    const all = RTCRtpSender.getCapabilities('video').codecs;
    const wanted = all.filter((c) => c.mimeType.toLowerCase() === `video/${codec.toLowerCase()}`);
    t.setCodecPreferences([...wanted, ...all.filter((c) => !wanted.includes(c))]);
  }
  const kbps = +(params.get('maxkbps') || 0);
  if (kbps) {
    const p = t.sender.getParameters();
    if (!p.encodings || !p.encodings.length) p.encodings = [{}];
    p.encodings[0].maxBitrate = kbps * 1000;
    await t.sender.setParameters(p).catch((e) => window.tc.errors.push(String(e)));
  }
}

// The camera drawn into a canvas with the capture-time stamp (media/src/stamp.rs: two rows of
// 34 blocks, block = width / 40, white start block, 32 bits of Date.now() most significant
// first, black end block; the second row inverted), sent at the requested frame rate. The
// audio tracks pass through.
async function stamped(camera) {
  const video = document.createElement('video');
  video.muted = true;
  video.srcObject = new MediaStream(camera.getVideoTracks());
  await video.play();
  const canvas = document.createElement('canvas');
  canvas.width = want.width; canvas.height = want.height;
  const ctx = canvas.getContext('2d');
  const track = canvas.captureStream(0).getVideoTracks()[0];
  track.contentHint = 'motion';
  const block = Math.floor(want.width / 40);
  // Frame n is due at start + n / fps (a plain setInterval rounds 33.3 ms down to 33 ms and
  // sends 30.3 fps); a late frame is drawn at once, a missed one skipped, as a camera would.
  const period = 1000 / want.frameRate;
  const start = performance.now();
  let n = 0;
  const tick = () => {
    draw();
    n = Math.max(n + 1, Math.floor((performance.now() - start) / period) + 1);
    setTimeout(tick, Math.max(0, start + n * period - performance.now()));
  };
  const draw = () => {
    ctx.drawImage(video, 0, 0, want.width, want.height);
    const value = Date.now() % 4294967296;
    for (let i = 0; i < 34; i++) {
      const white = i === 0 || (i <= 32 && ((value >>> (32 - i)) & 1) === 1);
      ctx.fillStyle = white ? 'rgb(235,235,235)' : 'rgb(16,16,16)';
      ctx.fillRect(i * block, 0, block, block);
      ctx.fillStyle = white ? 'rgb(16,16,16)' : 'rgb(235,235,235)';
      ctx.fillRect(i * block, block, block, block);
    }
    track.requestFrame();
  };
  tick();
  return new MediaStream([track, ...camera.getAudioTracks()]);
}

// At most one restart in flight: a new one only if ICE is still not connected 10 s later.
let restartAt = 0;
function restartIce() {
  const state = pc.iceConnectionState;
  if (state === 'connected' || state === 'completed' || Date.now() - restartAt < 10000) return;
  restartAt = Date.now();
  window.tc.restarts++;
  (pageOffers ? offer(true) : Promise.resolve(send({ type: 'restart' })))
    .catch((e) => window.tc.errors.push(String(e)));
}

async function onFrame(m) {
  if (m.type === 'offer') {
    await pc.setRemoteDescription({ type: 'offer', sdp: m.sdp });
    for (const t of pc.getTransceivers()) {
      const kind = t.receiver.track.kind;
      const track = stream && stream.getTracks().find((x) => x.kind === kind);
      if (track) {
        await t.sender.replaceTrack(track);
        t.direction = direction === 'sendonly' ? 'sendonly' : 'sendrecv';
        if (kind === 'video') {
          // Keep the requested size (the booth gives little congestion feedback): a CPU
          // comparison at 720p must send 720p.
          const p = t.sender.getParameters();
          p.degradationPreference = 'maintain-resolution';
          await t.sender.setParameters(p).catch(() => {});
        }
      } else if (kind === 'audio' && params.get('audio') === '0') {
        // No audio: measures video alone (no lip-sync wait on the audio jitter buffer).
        t.direction = 'inactive';
      } else {
        t.direction = 'recvonly';
      }
    }
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    send({ type: 'answer', sdp: answer.sdp });
  } else if (m.type === 'answer') {
    await pc.setRemoteDescription({ type: 'answer', sdp: m.sdp });
  } else if (m.type === 'ice') {
    await pc.addIceCandidate({ candidate: m.candidate, sdpMLineIndex: m.sdpMLineIndex });
  } else if (m.type === 'hangup') {
    pc.close();
    window.tc.state = 'ended';
  } else if (m.type === 'error') {
    window.tc.errors.push(`${m.error}: ${m.message}`);
  }
}

// Freezes as the media benchmark counts them (issue #22): a gap of more than 500 ms between
// two presented frames. A test resets tc.freezes and tc.maxGapMs when its window starts.
function watchGaps(video) {
  let last = 0;
  const onFrame = () => {
    const now = performance.now();
    if (last) {
      const gap = now - last;
      if (gap > 500) window.tc.freezes++;
      window.tc.maxGapMs = Math.max(window.tc.maxGapMs, gap);
    }
    last = now;
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
}

// Reads the capture-time stamp (media/src/stamp.rs) from each presented frame: two rows of
// 34 blocks, block = width / 40, the second row the inverse of the first.
function watchStamps(video) {
  const canvas = document.getElementById('strip');
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const onFrame = () => {
    const now = Date.now() % 4294967296;
    const w = video.videoWidth;
    const block = Math.floor(w / 40);
    if (block >= 4) {
      canvas.width = w; canvas.height = block * 2;
      ctx.drawImage(video, 0, 0, w, block * 2, 0, 0, w, block * 2);
      const px = ctx.getImageData(0, 0, w, block * 2).data;
      const bit = (i, row) => {
        const x = i * block + (block >> 1), y = row * block + (block >> 1);
        const o = (y * w + x) * 4;
        return (px[o] + px[o + 1] + px[o + 2]) / 3 > 128;
      };
      let ok = bit(0, 0) && !bit(33, 0);
      let value = 0;
      for (let i = 0; i < 34 && ok; i++) {
        if (bit(i, 0) === bit(i, 1)) ok = false;
        if (i >= 1 && i <= 32) value = value * 2 + (bit(i, 0) ? 1 : 0);
      }
      if (ok) {
        const latency = (now - value + 4294967296) % 4294967296;
        if (latency < 10000) window.tc.latencies.push(latency);
      }
    }
    window.tc.frames++;
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
}

window.tcStats = async () => {
  const out = { video_in: {}, audio_in: {}, video_out: {}, audio_out: {}, pair: {} };
  if (!pc) return out;
  const report = await pc.getStats();
  report.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'video') out.video_in = {
      framesDecoded: s.framesDecoded, framesPerSecond: s.framesPerSecond, frameWidth: s.frameWidth,
      frameHeight: s.frameHeight, packetsLost: s.packetsLost, packetsReceived: s.packetsReceived,
      nackCount: s.nackCount, pliCount: s.pliCount, firCount: s.firCount, bytesReceived: s.bytesReceived, headerBytesReceived: s.headerBytesReceived };
    if (s.type === 'inbound-rtp' && s.kind === 'audio') out.audio_in = {
      totalSamplesReceived: s.totalSamplesReceived, audioLevel: s.audioLevel,
      packetsReceived: s.packetsReceived, bytesReceived: s.bytesReceived,
      packetsLost: s.packetsLost, concealedSamples: s.concealedSamples,
      headerBytesReceived: s.headerBytesReceived };
    if (s.type === 'outbound-rtp' && s.kind === 'video') out.video_out = {
      framesEncoded: s.framesEncoded, framesPerSecond: s.framesPerSecond, frameWidth: s.frameWidth,
      frameHeight: s.frameHeight, qualityLimitationReason: s.qualityLimitationReason,
      bytesSent: s.bytesSent, pliCount: s.pliCount, firCount: s.firCount,
      keyFramesEncoded: s.keyFramesEncoded, nackCount: s.nackCount,
      retransmittedPacketsSent: s.retransmittedPacketsSent, packetsSent: s.packetsSent,
      headerBytesSent: s.headerBytesSent };
    if (s.type === 'outbound-rtp' && s.kind === 'audio') out.audio_out = {
      bytesSent: s.bytesSent, headerBytesSent: s.headerBytesSent };
    if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') out.pair = {
      currentRoundTripTime: s.currentRoundTripTime, localCandidateId: s.localCandidateId };
  });
  return out;
};

// Both descriptions as negotiated (the tests read the booth's fmtp lines from them).
window.tcSdp = () => ({
  local: pc && pc.localDescription ? pc.localDescription.sdp : '',
  remote: pc && pc.remoteDescription ? pc.remoteDescription.sdp : '',
});

start().catch((e) => { window.tc.errors.push(String(e)); window.tc.state = 'failed'; });
