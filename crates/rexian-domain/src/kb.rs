//! Knowledge base (知识库): article categories, the review workflow of a version
//! (draft → review → published → retired) and the service phrasebook (服务用语) of the seeds.
//!
//! Every edit is a new version; a version moves through the states below and is never removed.

use std::fmt;
use std::str::FromStr;

use crate::model::ParseEnumError;

/// Category of an article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KbCategory {
    /// Service phrasebook (服务用语).
    Phrasebook,
    /// Frequently asked questions (常见问题).
    Faq,
    /// How a service is handled (办事指南).
    Procedure,
    /// Rules and regulations (规章制度).
    Regulation,
    /// Notices (通知公告).
    Notice,
}

impl KbCategory {
    /// Every category, in display order.
    pub const ALL: &'static [KbCategory] = &[
        KbCategory::Phrasebook,
        KbCategory::Faq,
        KbCategory::Procedure,
        KbCategory::Regulation,
        KbCategory::Notice,
    ];

    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            KbCategory::Phrasebook => "phrasebook",
            KbCategory::Faq => "faq",
            KbCategory::Procedure => "procedure",
            KbCategory::Regulation => "regulation",
            KbCategory::Notice => "notice",
        }
    }
}

impl FromStr for KbCategory {
    type Err = ParseEnumError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KbCategory::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| ParseEnumError {
                kind: "category",
                value: s.to_owned(),
            })
    }
}

/// State of one version of an article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KbState {
    /// Being written.
    Draft,
    /// Waiting for a reviewer.
    Review,
    /// What agents read.
    Published,
    /// No longer shown (withdrawn, or replaced by a newer published version).
    Retired,
}

impl KbState {
    /// Every state.
    pub const ALL: &'static [KbState] = &[
        KbState::Draft,
        KbState::Review,
        KbState::Published,
        KbState::Retired,
    ];

    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            KbState::Draft => "draft",
            KbState::Review => "review",
            KbState::Published => "published",
            KbState::Retired => "retired",
        }
    }
}

impl FromStr for KbState {
    type Err = ParseEnumError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KbState::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| ParseEnumError {
                kind: "state",
                value: s.to_owned(),
            })
    }
}

/// A step of the review workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KbAction {
    /// Draft → review.
    Submit,
    /// Review → published, by someone other than the author.
    Approve,
    /// Review → draft, with a reason.
    Reject,
    /// Published → retired, with a reason.
    Retire,
}

impl KbAction {
    /// Every action.
    pub const ALL: &'static [KbAction] = &[
        KbAction::Submit,
        KbAction::Approve,
        KbAction::Reject,
        KbAction::Retire,
    ];

    /// Wire name (also the path segment and the event type's stem).
    pub fn as_str(self) -> &'static str {
        match self {
            KbAction::Submit => "submit",
            KbAction::Approve => "approve",
            KbAction::Reject => "reject",
            KbAction::Retire => "retire",
        }
    }

    /// Name of the event this action records.
    pub fn event(self) -> &'static str {
        match self {
            KbAction::Submit => "submitted",
            KbAction::Approve => "published",
            KbAction::Reject => "rejected",
            KbAction::Retire => "retired",
        }
    }

    /// Whether the action needs a reason.
    pub fn needs_reason(self) -> bool {
        matches!(self, KbAction::Reject | KbAction::Retire)
    }
}

impl FromStr for KbAction {
    type Err = ParseEnumError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KbAction::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| ParseEnumError {
                kind: "action",
                value: s.to_owned(),
            })
    }
}

/// Why a workflow step is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KbRefusal {
    /// The version is not in a state the action starts from.
    WrongState {
        /// The action.
        action: &'static str,
        /// The version's state.
        state: &'static str,
    },
    /// The author cannot review their own version.
    OwnVersion,
}

impl fmt::Display for KbRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KbRefusal::WrongState { action, state } => {
                write!(f, "cannot {action} a version that is {state}")
            }
            KbRefusal::OwnVersion => {
                f.write_str("the reviewer must not be the author of the version")
            }
        }
    }
}

/// The state after `action` on a version in `state` written by `author`, taken by `actor`.
pub fn transition(
    state: KbState,
    action: KbAction,
    author: Option<i64>,
    actor: i64,
) -> Result<KbState, KbRefusal> {
    use KbAction::*;
    use KbState::*;
    let next = match (action, state) {
        (Submit, Draft) => Review,
        (Approve, Review) | (Reject, Review) if author == Some(actor) => {
            return Err(KbRefusal::OwnVersion)
        }
        (Approve, Review) => Published,
        (Reject, Review) => Draft,
        (Retire, Published) => Retired,
        _ => {
            return Err(KbRefusal::WrongState {
                action: action.as_str(),
                state: state.as_str(),
            })
        }
    };
    Ok(next)
}

/// The tags of an article from a comma, space or 、-separated text: trimmed, no duplicates.
pub fn parse_tags(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in s.split([',', '，', '、', ' ', ';', '；']) {
        let t = t.trim();
        if !t.is_empty() && !out.iter().any(|x| x == t) {
            out.push(t.to_owned());
        }
    }
    out
}

/// One entry of the service phrasebook: a stable key, the situation, what to say, tags and
/// the seed clause it comes from.
#[derive(Debug, Clone, Copy)]
pub struct Phrase {
    /// Stable key (seeding is idempotent by it).
    pub key: &'static str,
    /// The situation (title).
    pub title: &'static str,
    /// What to say.
    pub body: &'static str,
    /// Tags.
    pub tags: &'static str,
}

/// The service phrasebook (服务用语) of the seeds, verbatim (`001:95598服务规范用语`,
/// `000:二.2`, `004:第四章`).
pub const PHRASEBOOK: &[Phrase] = &[
    Phrase { key: "phrase.001.1", title: "接听客户电话首问语", body: "“您好！请问有什么可以帮您？”\n系统中没有自动播报座席员工号时：“您好！**号为您服务，请问有什么可以帮您？”\n（依据：001 95598服务规范用语 1）", tags: "首问语,接听,问候" },
    Phrase { key: "phrase.001.2", title: "电话已接通客户无声音", body: "应保持微笑重复说：“您好！请问有什么可以帮您？”中间间隔3-5秒：“您好！这里是供电服务热线95598，请问您能听见我的声音吗？”仍听不到客户回应时：“对不起，我听不到您的声音，请您换一部电话再拨，好吗？”停顿2秒，说：“再见”后挂机。\n（依据：001 95598服务规范用语 2）", tags: "无声音,接听" },
    Phrase { key: "phrase.001.3", title: "电话接通客户仍在拨号", body: "“您好！您的电话已经接通，请问有什么可以帮您？”\n（依据：001 95598服务规范用语 3）", tags: "接听,拨号" },
    Phrase { key: "phrase.001.4", title: "客户声音太小听不清楚", body: "“对不起！我听不清您的声音，请您大声一点，好吗？”仍听不清，再重复一遍，重复时语气仍要保持轻柔委婉。还是听不清：“对不起，电话声音太小，请您换一部电话再拨，好吗？”停顿2秒，挂机。\n（依据：001 95598服务规范用语 4）", tags: "听不清,声音小" },
    Phrase { key: "phrase.001.5", title: "客户电话杂音太大", body: "“对不起，您的电话杂音太大，请您换一部电话再拨，好吗？”停顿2秒，挂机。\n（依据：001 95598服务规范用语 5）", tags: "杂音,听不清" },
    Phrase { key: "phrase.001.6", title: "客户提出座席员声音太小", body: "稍微提高音量：“对不起，请问有什么事情需要帮助吗？”\n（依据：001 95598服务规范用语 6）", tags: "声音小" },
    Phrase { key: "phrase.001.7", title: "没有听清客户讲话", body: "“对不起，我听不清您的声音，请您再重复一遍好吗？谢谢！”\n（依据：001 95598服务规范用语 7）", tags: "听不清,重复" },
    Phrase { key: "phrase.001.8", title: "客户不理解座席员的话语", body: "可换种表达方式：“对不起，我的意思是……”\n（依据：001 95598服务规范用语 8）", tags: "解释,不理解" },
    Phrase { key: "phrase.001.9", title: "解答过程中客户无任何回应", body: "应时刻留意客户的反映：“**先生/女士，请问您能听到我的声音吗？”\n（依据：001 95598服务规范用语 9）", tags: "无回应" },
    Phrase { key: "phrase.001.10", title: "客户以“喂”提示座席员是否在倾听", body: "“**先生/女士，我正在听您讲话，请您继续！谢谢！”\n（依据：001 95598服务规范用语 10）", tags: "倾听" },
    Phrase { key: "phrase.001.11", title: "需要客户较长时间等候", body: "应讲明原因并征询客户的意见：“对不起，我帮您查询一下，稍后可能没有声音，请不要挂机！”客户同意后按下静音键，并迅速处理问题，不可用命令语气。\n（依据：001 95598服务规范用语 11）", tags: "等候,查询,静音" },
    Phrase { key: "phrase.000.2", title: "供热热线统一用语与常用礼貌用语", body: "统一用语：“您好。永恒热力。”\n常用礼貌用语：“请问有什么可以帮您？”“很抱歉，给您带来不便”，“谢谢您的批评，我们一定注意改进”，“对不起，先生/女士，我们会在最短时间内给您答复。”“感谢您给我们提出的宝贵意见。”“谢谢您，再见”。\n（依据：000 二.2 电话回复用语）", tags: "问候,道歉,致谢,告别,投诉" },
    Phrase { key: "phrase.004.4", title: "大厅送别用语", body: "送别时使用礼貌用语，如“请慢走，再见。”用户说话时要仔细倾听；交流过程中，应使用礼貌用语，语气应当亲切、温柔、自然、平和、耐心，不急躁，语速适中，声音清晰柔和。\n（依据：004 服务礼仪）", tags: "告别,大厅,礼貌" },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn review_needs_another_person() {
        assert_eq!(
            transition(KbState::Draft, KbAction::Submit, Some(1), 1),
            Ok(KbState::Review)
        );
        assert_eq!(
            transition(KbState::Review, KbAction::Approve, Some(1), 1),
            Err(KbRefusal::OwnVersion)
        );
        assert_eq!(
            transition(KbState::Review, KbAction::Approve, Some(1), 2),
            Ok(KbState::Published)
        );
        assert_eq!(
            transition(KbState::Review, KbAction::Reject, Some(1), 2),
            Ok(KbState::Draft)
        );
        assert!(transition(KbState::Draft, KbAction::Retire, Some(1), 2).is_err());
        assert_eq!(
            transition(KbState::Published, KbAction::Retire, Some(1), 1),
            Ok(KbState::Retired)
        );
    }

    #[test]
    fn tags_split_on_chinese_and_ascii_separators() {
        assert_eq!(
            parse_tags("停电， 抢修、停电 ;x"),
            vec!["停电", "抢修", "x"]
        );
        assert!(PHRASEBOOK.len() >= 12);
    }
}
