//! Check-digit algorithms used by national identifiers. Kept apart so each algorithm is tested
//! against its own published vectors, independently of any identifier that uses it.

/// Luhn ("mod 10") check digit for `digits` (ASCII digits only, the check digit not included).
///
/// Doubling starts with the rightmost payload digit, as in ISO/IEC 7812-1.
pub(crate) fn luhn_check_digit(digits: &[u8]) -> u8 {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d - b'0');
            if i % 2 == 0 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    // `sum % 10` is < 10, so the result fits in a u8.
    ((10 - sum % 10) % 10) as u8
}

/// Dihedral group D5 multiplication table (Verhoeff 1969).
const VERHOEFF_D: [[u8; 10]; 10] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];

/// Verhoeff position permutation table.
const VERHOEFF_P: [[u8; 10]; 8] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 8, 7, 6, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

/// Inverses in D5.
const VERHOEFF_INV: [u8; 10] = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9];

/// Verhoeff check digit for `digits` (ASCII digits only, the check digit not included).
pub(crate) fn verhoeff_check_digit(digits: &[u8]) -> u8 {
    let mut c = 0u8;
    for (i, &d) in digits.iter().rev().enumerate() {
        let p = VERHOEFF_P[(i + 1) % 8][usize::from(d - b'0')];
        c = VERHOEFF_D[usize::from(c)][usize::from(p)];
    }
    VERHOEFF_INV[usize::from(c)]
}

/// French NIR key: `97 - (n mod 97)` over the 13-digit number (Corsica already substituted).
pub(crate) fn nir_key(thirteen_digits: u64) -> u8 {
    // The remainder is < 97, so the key is in 1..=97 and fits in a u8.
    (97 - thirteen_digits % 97) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_matches_published_vectors() {
        // Wikipedia "Luhn algorithm": 7992739871 has check digit 3.
        assert_eq!(luhn_check_digit(b"7992739871"), 3);
        // ISO/IEC 7812 example card number 4992 7398 716 (check digit 6).
        assert_eq!(luhn_check_digit(b"4992739871"), 6);
        assert_eq!(luhn_check_digit(b"0"), 0);
        // A single digit is doubled: 5 -> 10 -> 1, check = 9.
        assert_eq!(luhn_check_digit(b"5"), 9);
        // 9 -> 18 -> 9, check = 1.
        assert_eq!(luhn_check_digit(b"9"), 1);
    }

    #[test]
    fn luhn_detects_single_digit_errors() {
        let base = *b"18931201057";
        let check = luhn_check_digit(&base);
        for i in 0..base.len() {
            for d in b'0'..=b'9' {
                if d == base[i] {
                    continue;
                }
                let mut changed = base;
                changed[i] = d;
                assert_ne!(luhn_check_digit(&changed), check, "position {i} digit {d}");
            }
        }
    }

    #[test]
    fn verhoeff_matches_published_vectors() {
        // Wikipedia "Verhoeff algorithm": 236 -> 3, 12345 -> 1, 142857 -> 0.
        assert_eq!(verhoeff_check_digit(b"236"), 3);
        assert_eq!(verhoeff_check_digit(b"12345"), 1);
        assert_eq!(verhoeff_check_digit(b"142857"), 0);
    }

    #[test]
    fn verhoeff_detects_adjacent_transpositions() {
        let base = *b"18931201057";
        let check = verhoeff_check_digit(&base);
        for i in 0..base.len() - 1 {
            if base[i] == base[i + 1] {
                continue;
            }
            let mut swapped = base;
            swapped.swap(i, i + 1);
            assert_ne!(verhoeff_check_digit(&swapped), check, "swap at {i}");
        }
    }

    #[test]
    fn nir_key_is_97_minus_remainder() {
        // python-stdnum fr.nir doctest: 2 95 10 99 126 111 -> key 93.
        assert_eq!(nir_key(2_951_099_126_111), 93);
        // A multiple of 97 gets key 97, never 0.
        assert_eq!(nir_key(97 * 10_000_000_000), 97);
        assert_eq!(nir_key(97 * 10_000_000_000 + 96), 1);
    }
}
