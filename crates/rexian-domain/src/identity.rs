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

#[cfg(test)]
mod tests {
    use super::*;

    fn rec() -> Record {
        Record {
            name: "王伟".into(),
            phone: Some("13800001111".into()),
            address: vec!["和平里".into(), "3".into(), "2".into(), "301".into()],
        }
    }

    #[test]
    fn two_matching_fields_verify_002_s14_1() {
        let c = Claim {
            name: Some("王伟".into()),
            phone: Some("138-0000-1111".into()),
            address: None,
        };
        assert!(check(&c, &rec()).verified());
        let c = Claim {
            name: Some("王伟".into()),
            phone: None,
            address: Some("和平里3号楼2单元301室".into()),
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
        };
        let v = check(&c, &rec());
        assert!(!v.verified());
        assert_eq!(v.mismatched, ["address"]);
    }
}
