//! Secret Manager's rotation settings (`Secret.rotation` and
//! `Secret.topics`). Source: the v1 API's `Rotation` message:
//! `rotation_period` in seconds, at least 3600s (1h) and at most
//! 3153600000s (100 years), and `next_rotation_time` required with it;
//! `topics` must be set to configure rotation (at most 10). Secret Manager's
//! service agent must be able to publish to the topic.

use provider_glue::{InputError, error::shown, time};

use crate::names;
use crate::request::Rotation;

const LEAST_SECONDS: u64 = 3600;
const MOST_SECONDS: u64 = 3_153_600_000;

/// Checked rotation settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule<'a> {
    /// `<N>s`, as the API and Terraform take it.
    pub period: String,
    pub next_rotation_time: &'a str,
    pub topic: &'a str,
}

impl Schedule<'_> {
    /// `projects/<project>/topics/<topic>`.
    pub fn topic_name(&self, project_id: &str) -> String {
        format!("projects/{project_id}/topics/{}", self.topic)
    }
}

/// The Secret Manager service agent of a project, which publishes rotation
/// notices ("Create rotation schedules in Secret Manager").
pub fn service_agent(project_number: &str) -> String {
    format!("service-{project_number}@gcp-sa-secretmanager.iam.gserviceaccount.com")
}

/// Checks `rotation`.
pub fn check(rotation: &Rotation) -> Result<Schedule<'_>, InputError> {
    let seconds = period_seconds(&rotation.period).ok_or_else(|| {
        InputError::new(
            "/rotation/period",
            format!(
                "`{}` is not a rotation period from 1h to 100 years: `<N>s`, `<N>h` or `<N>d`",
                shown(&rotation.period)
            ),
        )
    })?;
    time::check_timestamp("/rotation/next_rotation_time", &rotation.next_rotation_time)?;
    names::check_topic("/rotation/topic", &rotation.topic)?;
    Ok(Schedule {
        period: format!("{seconds}s"),
        next_rotation_time: &rotation.next_rotation_time,
        topic: &rotation.topic,
    })
}

fn period_seconds(text: &str) -> Option<u64> {
    let unit = text.chars().last()?;
    let digits = &text[..text.len() - unit.len_utf8()];
    if digits.is_empty() || digits.len() > 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let scale = match unit {
        's' => 1,
        'h' => 3600,
        'd' => 86_400,
        _ => return None,
    };
    let seconds = digits.parse::<u64>().ok()?.checked_mul(scale)?;
    (LEAST_SECONDS..=MOST_SECONDS)
        .contains(&seconds)
        .then_some(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rotation(period: &str) -> Rotation {
        Rotation {
            period: period.to_owned(),
            next_rotation_time: "2027-01-01T00:00:00Z".to_owned(),
            topic: "secret-rotation".to_owned(),
        }
    }

    #[test]
    fn periods_become_seconds_within_the_apis_bounds() {
        for (period, seconds) in [
            ("30d", "2592000s"),
            ("1h", "3600s"),
            ("3600s", "3600s"),
            ("36500d", "3153600000s"),
        ] {
            assert_eq!(check(&rotation(period)).unwrap().period, seconds);
        }
        for bad in [
            "59m",
            "3599s",
            "0h",
            "36501d",
            "",
            "d",
            "1.5d",
            "-1d",
            "1w",
            "99999999999d",
            "1d\n",
        ] {
            assert_eq!(
                check(&rotation(bad)).unwrap_err().field,
                "/rotation/period",
                "{bad}"
            );
        }
        let monthly = rotation("30d");
        let schedule = check(&monthly).unwrap();
        assert_eq!(
            schedule.topic_name("acme-prod"),
            "projects/acme-prod/topics/secret-rotation"
        );
    }
}
