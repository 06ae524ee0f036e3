//! Hall checks (`004` 营业厅 第三十九条–第四十六条): each item of a hall has a period and a due
//! date; a check moves the due date to the check day plus the period, or to an expiry date
//! given explicitly (a first-aid kit's earliest expiry). Pure: the day is a parameter.

use chrono::{Days, NaiveDate};

/// The longest period of an item (ten years).
pub const MAX_PERIOD_DAYS: i64 = 3650;

/// The items `004` names, with a default period in days: what the screen offers.
pub const STANDARD_ITEMS: [(&str, i64); 7] = [
    ("急救药箱药品有效期", 30),    // 第四十条 定期检查、补足，无过期
    ("灭火器压力检测", 30),        // 第四十四条 定期压力检测及药剂更换
    ("便民雨伞（爱心伞）借还", 7), // 第四十二条 做好使用记录
    ("老花镜、台笔", 7),           // 第三十九条 无破损、可正常使用
    ("擦鞋机", 7),                 // 第四十三条 确保正常使用
    ("24小时监控系统", 30),        // 第四十五条 窗口全覆盖
    ("警示标识", 30),              // 第四十六条
];

/// Why a period or a date is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HallError {
    /// The period is not 1 to [`MAX_PERIOD_DAYS`] days.
    Period,
    /// An explicit next due date lies before the check day.
    DueBeforeCheck,
}

/// Checks a period in days.
pub fn period(days: i64) -> Result<u64, HallError> {
    if (1..=MAX_PERIOD_DAYS).contains(&days) {
        Ok(days as u64)
    } else {
        Err(HallError::Period)
    }
}

/// The due date of a new item: the one given, else `today` plus the period.
pub fn first_due(
    today: NaiveDate,
    period_days: i64,
    given: Option<NaiveDate>,
) -> Result<NaiveDate, HallError> {
    let p = period(period_days)?;
    Ok(given.unwrap_or_else(|| today + Days::new(p)))
}

/// The due date after a check on `checked_on`: the explicit one (an expiry date, not before
/// the check day), else the check day plus the period.
pub fn next_due(
    checked_on: NaiveDate,
    period_days: i64,
    explicit: Option<NaiveDate>,
) -> Result<NaiveDate, HallError> {
    let p = period(period_days)?;
    match explicit {
        Some(d) if d < checked_on => Err(HallError::DueBeforeCheck),
        Some(d) => Ok(d),
        None => Ok(checked_on + Days::new(p)),
    }
}

/// An item is overdue from the day after its due date.
pub fn overdue(due: NaiveDate, today: NaiveDate) -> bool {
    due < today
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_check_moves_the_due_date_by_the_period_or_to_the_expiry() {
        assert_eq!(next_due(d("2026-03-02"), 30, None), Ok(d("2026-04-01")));
        assert_eq!(
            next_due(d("2026-03-02"), 30, Some(d("2026-09-30"))),
            Ok(d("2026-09-30"))
        );
        assert_eq!(
            next_due(d("2026-03-02"), 30, Some(d("2026-03-01"))),
            Err(HallError::DueBeforeCheck)
        );
    }

    #[test]
    fn periods_are_one_day_to_ten_years() {
        assert_eq!(period(0), Err(HallError::Period));
        assert_eq!(period(1), Ok(1));
        assert_eq!(period(MAX_PERIOD_DAYS), Ok(3650));
        assert_eq!(period(MAX_PERIOD_DAYS + 1), Err(HallError::Period));
        assert_eq!(first_due(d("2026-03-02"), 7, None), Ok(d("2026-03-09")));
    }

    #[test]
    fn overdue_from_the_day_after_the_due_date() {
        assert!(!overdue(d("2026-03-02"), d("2026-03-02")));
        assert!(overdue(d("2026-03-02"), d("2026-03-03")));
    }
}
