//! The names under which API requests are counted and faulted: `kill`, `show_job`, … .
//!
//! Fault plans, the counters in [`crate::Stats`] and the command line speak of routes by these
//! names, and every row of the route table (`route_table.rs`) says which name its requests count
//! under. Several rows may share one name (IAM's three ways to get temporary keys all count as
//! `security_tokens`); a new name is a new variant here and a new field of
//! [`crate::RouteCounts`].

use serde::{Deserialize, Serialize};

/// The seven names API requests are counted and faulted under (admin routes have none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// `POST /v2/{project_id}/clusters/{cluster_id}/job-executions/{job_id}/kill`
    Kill,
    /// `GET /v2/{project_id}/clusters/{cluster_id}/job-executions/{job_id}`
    ShowJob,
    /// `GET /v2/{project_id}/clusters/{cluster_id}/job-executions`
    ListJobs,
    /// `POST /v2/{project_id}/clusters/{cluster_id}/job-executions`
    SubmitJob,
    /// `GET /v3/projects` (IAM)
    IamProjects,
    /// `POST /v3.0/OS-CREDENTIAL/securitytokens` (IAM: assume an agency, or trade a federated
    /// token for keys), and with it `POST /v3.0/OS-AUTH/id-token/tokens` (IAM) and
    /// `POST /v5/agencies/assume` (STS)
    SecurityTokens,
    /// `GET /openstack/latest/securitykey` (ECS instance metadata)
    Metadata,
}

impl Route {
    /// Every route, in the order of the API table.
    pub const ALL: [Route; 7] = [
        Self::Kill,
        Self::ShowJob,
        Self::ListJobs,
        Self::SubmitJob,
        Self::IamProjects,
        Self::SecurityTokens,
        Self::Metadata,
    ];

    /// The snake_case name used in fault plans and on the command line, e.g. `show_job`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Kill => "kill",
            Self::ShowJob => "show_job",
            Self::ListJobs => "list_jobs",
            Self::SubmitJob => "submit_job",
            Self::IamProjects => "iam_projects",
            Self::SecurityTokens => "security_tokens",
            Self::Metadata => "metadata",
        }
    }
}

/// A route name that is not one of the seven API route names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown route {0:?}; expected kill, show_job, list_jobs, submit_job, iam_projects, security_tokens or metadata"
)]
pub struct UnknownRoute(pub String);

impl std::str::FromStr for Route {
    type Err = UnknownRoute;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|route| route.as_str() == s)
            .ok_or_else(|| UnknownRoute(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back_to_their_route_and_serde_agrees() {
        for route in Route::ALL {
            assert_eq!(route.as_str().parse::<Route>(), Ok(route));
            assert_eq!(
                serde_json::to_value(route).expect("serializes"),
                route.as_str()
            );
        }
        assert!("kill_job".parse::<Route>().is_err());
    }
}
