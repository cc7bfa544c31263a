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

/// Verhoeff position permutation table: row `i` is the permutation `σ` applied `i` times, where
/// `σ = (0 1 5 8 9 4 2 7)(3 6)` (Verhoeff 1969; row 1 is `σ`). The tests derive every row again
/// from `σ`, so a mistyped entry cannot hide (one did: row 4 read `8, 7, 6` for `6, 8, 7`, which
/// refused about three valid matricules in ten).
const VERHOEFF_P: [[u8; 10]; 8] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
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

/// A second implementation of each algorithm, written from its definition rather than from the
/// tables above, for the tests to compare against (the defect in row 4 passed every published
/// example: only a second source finds such a typo).
#[cfg(test)]
pub(crate) mod reference {
    /// The dihedral group D5: 0-4 are the rotations `r^k`, 5-9 the reflections `s r^k`;
    /// `r^a s = s r^-a`, so products of reflections subtract.
    pub(crate) fn d5(a: u8, b: u8) -> u8 {
        match (a < 5, b < 5) {
            (true, true) => (a + b) % 5,
            (true, false) => 5 + (a + (b - 5)) % 5,
            (false, true) => 5 + ((a - 5) + 5 - b) % 5,
            (false, false) => ((a - 5) + 5 - (b - 5)) % 5,
        }
    }

    /// `σ = (0 1 5 8 9 4 2 7)(3 6)`, applied `times` times to `x`.
    pub(crate) fn sigma_power(times: usize, x: u8) -> u8 {
        const CYCLES: [&[u8]; 2] = [&[0, 1, 5, 8, 9, 4, 2, 7], &[3, 6]];
        let cycle = CYCLES
            .iter()
            .find(|c| c.contains(&x))
            .expect("every digit is in one cycle");
        let at = cycle
            .iter()
            .position(|&y| y == x)
            .expect("x is in its cycle");
        cycle[(at + times) % cycle.len()]
    }

    /// Verhoeff's validity rule: the whole number (check digit last) folds to the identity.
    pub(crate) fn verhoeff_valid(digits: &[u8]) -> bool {
        digits
            .iter()
            .rev()
            .enumerate()
            .fold(0, |c, (i, &d)| d5(c, sigma_power(i % 8, d - b'0')))
            == 0
    }

    /// The one digit that makes `digits` followed by it valid (found by trying each).
    pub(crate) fn verhoeff_check_digit(digits: &[u8]) -> u8 {
        let mut candidate = digits.to_vec();
        candidate.push(b'0');
        let last = candidate.len() - 1;
        let found: Vec<u8> = (0..10)
            .filter(|&c| {
                candidate[last] = b'0' + c;
                verhoeff_valid(&candidate)
            })
            .collect();
        assert_eq!(found.len(), 1, "exactly one Verhoeff check digit");
        found[0]
    }

    /// Luhn's validity rule: every second digit from the right, starting with the one left of
    /// the check digit, is doubled and its digits summed; the total is a multiple of 10.
    pub(crate) fn luhn_valid(digits: &[u8]) -> bool {
        let total: u32 = digits
            .iter()
            .rev()
            .enumerate()
            .map(|(i, &d)| {
                let d = u32::from(d - b'0');
                if i % 2 == 1 {
                    (d * 2) / 10 + (d * 2) % 10
                } else {
                    d
                }
            })
            .sum();
        total.is_multiple_of(10)
    }

    pub(crate) fn luhn_check_digit(digits: &[u8]) -> u8 {
        let mut candidate = digits.to_vec();
        candidate.push(b'0');
        let last = candidate.len() - 1;
        (0..10)
            .find(|&c| {
                candidate[last] = b'0' + c;
                luhn_valid(&candidate)
            })
            .expect("one Luhn check digit")
    }

    /// NIR key from the decimal text, remainder taken digit by digit (no 64-bit number).
    pub(crate) fn nir_key(thirteen: &str) -> u8 {
        let text = thirteen.replace("2A", "19").replace("2B", "18");
        let rest = text
            .bytes()
            .fold(0u32, |r, d| (r * 10 + u32::from(d - b'0')) % 97);
        u8::try_from(97 - rest).expect("a key is at most 97")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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

    #[test]
    fn permutation_rows_are_the_powers_of_sigma() {
        for (i, row) in VERHOEFF_P.iter().enumerate() {
            for (x, &entry) in row.iter().enumerate() {
                let x = u8::try_from(x).unwrap();
                assert_eq!(entry, reference::sigma_power(i, x), "P[{i}][{x}]");
            }
        }
    }

    #[test]
    fn multiplication_table_is_the_dihedral_group_and_inverses_invert() {
        for (a, row) in VERHOEFF_D.iter().enumerate() {
            let a = u8::try_from(a).unwrap();
            for (b, &entry) in row.iter().enumerate() {
                let b = u8::try_from(b).unwrap();
                assert_eq!(entry, reference::d5(a, b), "D[{a}][{b}]");
            }
            let inverse = VERHOEFF_INV[usize::from(a)];
            assert_eq!(reference::d5(a, inverse), 0, "INV[{a}]");
        }
    }

    /// Every number of up to five digits (111 110 of them), against the reference.
    #[test]
    fn verhoeff_and_luhn_agree_with_the_reference_on_every_short_number() {
        for len in 1..=5usize {
            for n in 0..10u32.pow(u32::try_from(len).unwrap()) {
                let text = format!("{n:0len$}");
                let digits = text.as_bytes();
                assert_eq!(
                    verhoeff_check_digit(digits),
                    reference::verhoeff_check_digit(digits),
                    "Verhoeff of {text}"
                );
                assert_eq!(
                    luhn_check_digit(digits),
                    reference::luhn_check_digit(digits),
                    "Luhn of {text}"
                );
            }
        }
    }

    fn digits(max_len: usize) -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(b'0'..=b'9', 1..=max_len)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5000))]

        #[test]
        fn check_digits_agree_with_the_reference(payload in digits(24)) {
            prop_assert_eq!(verhoeff_check_digit(&payload), reference::verhoeff_check_digit(&payload));
            prop_assert_eq!(luhn_check_digit(&payload), reference::luhn_check_digit(&payload));
        }

        /// Verhoeff's guarantee: any one wrong digit, check digit included, is detected.
        #[test]
        fn verhoeff_detects_every_single_digit_error(
            payload in digits(24), at in any::<prop::sample::Index>(), delta in 1u8..10,
        ) {
            let mut whole = payload.clone();
            whole.push(b'0' + verhoeff_check_digit(&payload));
            let i = at.index(whole.len());
            whole[i] = b'0' + (whole[i] - b'0' + delta) % 10;
            let last = whole.len() - 1;
            prop_assert!(!reference::verhoeff_valid(&whole));
            prop_assert_ne!(verhoeff_check_digit(&whole[..last]), whole[last] - b'0');
        }

        /// ... and any swap of two different neighbours, check digit included.
        #[test]
        fn verhoeff_detects_every_adjacent_transposition(
            payload in digits(24), at in any::<prop::sample::Index>(),
        ) {
            let mut whole = payload.clone();
            whole.push(b'0' + verhoeff_check_digit(&payload));
            let i = at.index(whole.len() - 1);
            prop_assume!(whole[i] != whole[i + 1]);
            whole.swap(i, i + 1);
            let last = whole.len() - 1;
            prop_assert_ne!(verhoeff_check_digit(&whole[..last]), whole[last] - b'0');
        }

        #[test]
        fn nir_key_agrees_with_the_reference(n in 0u64..10_000_000_000_000) {
            prop_assert_eq!(nir_key(n), reference::nir_key(&format!("{n:013}")));
        }
    }
}
