//! Caller identity checks (`002:§14(1)`): account information is given only after the caller's
//! identity is verified against the register (name, ID number, address, phone).

/// What the caller said.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claim {
    /// Name.
    pub name: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Address, free text.
    pub address: Option<String>,
    /// ID number (身份证号).
    pub id_number: Option<String>,
}

/// What the register holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    /// Name.
    pub name: String,
    /// Phone.
    pub phone: Option<String>,
    /// The address parts (district, community, building, unit, room), in order.
    pub address: Vec<String>,
    /// ID number (身份证号), normalised.
    pub id_number: Option<String>,
}

/// The outcome of a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Fields that matched.
    pub matched: Vec<&'static str>,
    /// Fields given that did not match.
    pub mismatched: Vec<&'static str>,
}

impl Verdict {
    /// Verified: at least two fields match and none given is wrong.
    pub fn verified(&self) -> bool {
        self.matched.len() >= 2 && self.mismatched.is_empty()
    }
}

fn squash(s: &str) -> String {
    s.replace("单元", "")
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '号' | '楼' | '室' | '栋'))
        .collect()
}

/// Checks a caller's claim against the register: the name exactly, the phone by its digits,
/// the address when every part the register has appears in what the caller said, in order.
pub fn check(claim: &Claim, record: &Record) -> Verdict {
    let mut v = Verdict {
        matched: Vec::new(),
        mismatched: Vec::new(),
    };
    if let Some(n) = claim
        .name
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        if n == record.name.trim() {
            v.matched.push("name")
        } else {
            v.mismatched.push("name")
        }
    }
    if let Some(p) = claim.phone.as_deref().filter(|s| !s.trim().is_empty()) {
        let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
        match &record.phone {
            Some(r) if digits(r) == digits(p) => v.matched.push("phone"),
            _ => v.mismatched.push("phone"),
        }
    }
    if let Some(i) = claim.id_number.as_deref().filter(|s| !s.trim().is_empty()) {
        match (&record.id_number, parse_id_number(i)) {
            (Some(r), Ok(said)) if *r == said => v.matched.push("id_number"),
            _ => v.mismatched.push("id_number"),
        }
    }
    if let Some(a) = claim.address.as_deref().filter(|s| !s.trim().is_empty()) {
        let said = squash(a);
        let mut rest = said.as_str();
        let mut ok = !record.address.is_empty();
        for part in &record.address {
            let p = squash(part);
            match rest.find(&p) {
                Some(i) => rest = &rest[i + p.len()..],
                None => {
                    ok = false;
                    break;
                }
            }
        }
        if ok {
            v.matched.push("address")
        } else {
            v.mismatched.push("address")
        }
    }
    v
}

/// Weights of the first 17 digits of a resident ID number (GB 11643-1999).
const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// Parses an 18-character Chinese resident ID number (居民身份证号码, GB 11643-1999): 17 digits
/// and a check character (`0`–`9` or `X`, ISO 7064 MOD 11-2). Returns it with an upper-case `X`.
pub fn parse_id_number(s: &str) -> Result<String, &'static str> {
    let s = s.trim().to_ascii_uppercase();
    let b = s.as_bytes();
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
        return Err("id_number must be 18 characters: 17 digits and a check digit (0–9 or X)");
    }
    let sum: u32 = b[..17]
        .iter()
        .zip(ID_WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    let check = b"10X98765432"[(sum % 11) as usize];
    if b[17] != check {
        return Err("id_number has a wrong check digit");
    }
    Ok(s)
}

/// An ID number as it is shown: the first 3 and the last 4 characters, e.g. `110***********1234`.
pub fn mask_id_number(s: &str) -> String {
    mask(s, 3, 4)
}

/// An account number as it is shown before verification: the first 2 and the last 2 characters
/// (all of it masked when it is shorter than 6).
pub fn mask_account(s: &str) -> String {
    mask(s, 2, 2)
}

fn mask(s: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() < head + tail + 2 {
        return "*".repeat(chars.len().max(4));
    }
    let mut out: String = chars[..head].iter().collect();
    out.push_str(&"*".repeat(chars.len() - head - tail));
    out.extend(&chars[chars.len() - tail..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec() -> Record {
        Record {
            name: "王伟".into(),
            phone: Some("13800001111".into()),
            address: vec!["和平里".into(), "3".into(), "2".into(), "301".into()],
            id_number: Some("11010519491231002X".into()),
        }
    }

    #[test]
    fn id_number_check_digit_and_mask_002_s14_1() {
        assert_eq!(
            parse_id_number("11010519491231002x"),
            Ok("11010519491231002X".into())
        );
        assert!(
            parse_id_number("110105194912310021").is_err(),
            "check digit"
        );
        assert!(parse_id_number("1101051949123100").is_err(), "length");
        assert!(parse_id_number("11010519491231002Y").is_err());
        assert_eq!(mask_id_number("110105194912311234"), "110***********1234");
        assert_eq!(mask_account("0-00012"), "0-***12");
        assert_eq!(mask_account("123"), "****");
        let c = Claim {
            name: Some("王伟".into()),
            id_number: Some("11010519491231002x".into()),
            ..Default::default()
        };
        assert_eq!(check(&c, &rec()).matched, ["name", "id_number"]);
        let c = Claim {
            name: Some("王伟".into()),
            phone: Some("13800001111".into()),
            id_number: Some("110105194912310021".into()),
            ..Default::default()
        };
        assert_eq!(check(&c, &rec()).mismatched, ["id_number"]);
    }

    #[test]
    fn two_matching_fields_verify_002_s14_1() {
        let c = Claim {
            name: Some("王伟".into()),
            phone: Some("138-0000-1111".into()),
            ..Default::default()
        };
        assert!(check(&c, &rec()).verified());
        let c = Claim {
            name: Some("王伟".into()),
            address: Some("和平里3号楼2单元301室".into()),
            ..Default::default()
        };
        assert!(check(&c, &rec()).verified());
    }

    #[test]
    fn one_field_or_a_wrong_one_does_not() {
        let c = Claim {
            name: Some("王伟".into()),
            ..Default::default()
        };
        assert!(!check(&c, &rec()).verified());
        let c = Claim {
            name: Some("王伟".into()),
            phone: Some("13800001111".into()),
            address: Some("幸福里5号".into()),
            ..Default::default()
        };
        let v = check(&c, &rec());
        assert!(!v.verified());
        assert_eq!(v.mismatched, ["address"]);
    }
}
