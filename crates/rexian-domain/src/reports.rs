//! Report definitions (SPEC §5): how the KPIs are formed from counts.

/// A rate `num / den`, or `None` when nothing was there to rate.
pub fn rate(num: i64, den: i64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

/// The KPIs of a period, from the counts over the orders accepted in it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Kpi {
    /// Orders accepted (cancelled ones left out).
    pub intake: i64,
    /// Of those, closed.
    pub closed: i64,
    /// Orders that met every limit / orders with limits.
    pub timely_rate: Option<f64>,
    /// Closed / accepted.
    pub resolution_rate: Option<f64>,
    /// (Satisfied + basically satisfied) / rated callbacks.
    pub satisfaction_rate: Option<f64>,
    /// Callbacks done (customer reached) / callbacks required.
    pub callback_rate: Option<f64>,
    /// Still open with a missed limit.
    pub overdue: i64,
}

/// Forms the KPIs from raw counts.
#[expect(
    clippy::too_many_arguments,
    reason = "one argument per count keeps the call site explicit"
)]
pub fn kpi(
    intake: i64,
    closed: i64,
    with_limits: i64,
    timely: i64,
    overdue: i64,
    callback_required: i64,
    callback_done: i64,
    rated: i64,
    satisfied: i64,
) -> Kpi {
    Kpi {
        intake,
        closed,
        timely_rate: rate(timely, with_limits),
        resolution_rate: rate(closed, intake),
        satisfaction_rate: rate(satisfied, rated),
        callback_rate: rate(callback_done, callback_required),
        overdue,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_null_when_undefined() {
        let k = kpi(0, 0, 0, 0, 0, 0, 0, 0, 0);
        assert_eq!(k.timely_rate, None);
        let k = kpi(4, 3, 4, 3, 1, 2, 1, 2, 1);
        assert_eq!(k.resolution_rate, Some(0.75));
        assert_eq!(k.satisfaction_rate, Some(0.5));
        assert_eq!(k.callback_rate, Some(0.5));
    }
}
