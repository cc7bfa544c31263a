//! The real clock, handed to the domain through the `Clock` port.

use teleconsult_core::Timestamp;
use teleconsult_core::ports::Clock;

/// Wall-clock time of the machine.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}
