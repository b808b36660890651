//! Every route the emulator serves, one row each: method, path pattern, the name it is counted
//! and faulted under, which service answers it, how the gateway authenticates it, and its handler.
//!
//! The router matches requests against this table and applies what the row says (counting, rate
//! limiting, faults, authentication, the MRS project checks), so **adding a route is one row here
//! plus its handler**: a function `fn(&Call) -> Answer` in the file of its service (`mrs_api.rs`,
//! `iam.rs`, `keyless.rs`, `admin.rs`). Only a route counted under a new name also needs a
//! [`Route`] variant and a [`crate::RouteCounts`] field.
//!
//! Patterns are literal segments and `{name}` captures; a trailing `/` on a request is ignored,
//! and captured segments are percent-decoded.

use http::{HeaderMap, Method};

use crate::call::{Handler, PathParams, decode_segment};
use crate::config::EmulatorConfig;
use crate::route_names::Route;
use crate::{admin, iam, keyless, mrs_api};

/// Which party answers a route, and so what stands in front of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    /// MRS behind the API gateway: throttled per project, and the project of the path must be
    /// the emulator's and match any `X-Project-Id`.
    Mrs,
    /// IAM behind the API gateway (throttled in a bucket shared with STS).
    Iam,
    /// STS behind the API gateway (throttled in IAM's bucket).
    Sts,
    /// The ECS metadata service: no gateway, no throttling; served only with
    /// [`EmulatorConfig::serve_metadata`].
    Metadata,
    /// The emulator's own `/__emulator` routes: never counted, throttled, faulted or authenticated.
    Admin,
}

impl Service {
    /// Whether an emulator with `config` serves this service at all (else its paths are unknown).
    pub(crate) fn served(self, config: &EmulatorConfig) -> bool {
        match self {
            Self::Metadata => config.serve_metadata,
            _ => true,
        }
    }
}

/// What the API gateway checks before the service sees the request.
#[derive(Clone, Copy)]
pub(crate) enum Auth {
    /// Nothing: the service checks the request itself, or anyone may ask.
    Open,
    /// An AK/SK signature (SHA-256 or SM3, permanent or issued keys) or an `X-Auth-Token`.
    Gateway,
    /// As [`Auth::Gateway`], except for requests this predicate picks out: those the service
    /// checks itself (IAM's `token` method carries a federated token, not a signature).
    GatewayUnless(fn(&HeaderMap, &[u8]) -> bool),
}

/// One route of the table.
pub(crate) struct RouteRow {
    /// HTTP method.
    pub(crate) method: Method,
    /// Path pattern, e.g. `/v2/{project_id}/clusters/{cluster_id}/job-executions`.
    pub(crate) path: &'static str,
    /// Name counted and faulted under; `None` for admin routes only.
    pub(crate) name: Option<Route>,
    /// Who answers.
    pub(crate) service: Service,
    /// What the gateway checks.
    pub(crate) auth: Auth,
    /// What answers.
    pub(crate) handler: Handler,
}

const JOBS: &str = "/v2/{project_id}/clusters/{cluster_id}/job-executions";

/// The table: nine API routes under seven names, and five admin routes.
pub(crate) static ROUTES: [RouteRow; 14] = [
    RouteRow {
        method: Method::POST,
        path: "/v2/{project_id}/clusters/{cluster_id}/job-executions/{job_id}/kill",
        name: Some(Route::Kill),
        service: Service::Mrs,
        auth: Auth::Gateway,
        handler: mrs_api::kill_job,
    },
    RouteRow {
        method: Method::GET,
        path: "/v2/{project_id}/clusters/{cluster_id}/job-executions/{job_id}",
        name: Some(Route::ShowJob),
        service: Service::Mrs,
        auth: Auth::Gateway,
        handler: mrs_api::show_job,
    },
    RouteRow {
        method: Method::GET,
        path: JOBS,
        name: Some(Route::ListJobs),
        service: Service::Mrs,
        auth: Auth::Gateway,
        handler: mrs_api::list_jobs,
    },
    RouteRow {
        method: Method::POST,
        path: JOBS,
        name: Some(Route::SubmitJob),
        service: Service::Mrs,
        auth: Auth::Gateway,
        handler: mrs_api::submit_job,
    },
    RouteRow {
        method: Method::GET,
        path: "/v3/projects",
        name: Some(Route::IamProjects),
        service: Service::Iam,
        auth: Auth::Gateway,
        handler: iam::projects,
    },
    RouteRow {
        method: Method::POST,
        path: "/v3.0/OS-CREDENTIAL/securitytokens",
        name: Some(Route::SecurityTokens),
        service: Service::Iam,
        auth: Auth::GatewayUnless(keyless::is_token_method),
        handler: iam::security_tokens,
    },
    RouteRow {
        method: Method::POST,
        path: "/v3.0/OS-AUTH/id-token/tokens",
        name: Some(Route::SecurityTokens),
        service: Service::Iam,
        // Unsigned: IAM checks the ID token itself.
        auth: Auth::Open,
        handler: keyless::id_token,
    },
    RouteRow {
        method: Method::POST,
        path: "/v5/agencies/assume",
        name: Some(Route::SecurityTokens),
        service: Service::Sts,
        auth: Auth::Gateway,
        handler: keyless::sts_assume,
    },
    RouteRow {
        method: Method::GET,
        path: "/openstack/latest/securitykey",
        name: Some(Route::Metadata),
        service: Service::Metadata,
        // The metadata service answers anyone on the instance.
        auth: Auth::Open,
        handler: iam::metadata_security_key,
    },
    RouteRow {
        method: Method::GET,
        path: "/__emulator/stats",
        name: None,
        service: Service::Admin,
        auth: Auth::Open,
        handler: admin::stats,
    },
    RouteRow {
        method: Method::POST,
        path: "/__emulator/stats/reset",
        name: None,
        service: Service::Admin,
        auth: Auth::Open,
        handler: admin::reset_stats,
    },
    RouteRow {
        method: Method::GET,
        path: "/__emulator/jobs",
        name: None,
        service: Service::Admin,
        auth: Auth::Open,
        handler: admin::list_jobs,
    },
    RouteRow {
        method: Method::POST,
        path: "/__emulator/jobs",
        name: None,
        service: Service::Admin,
        auth: Auth::Open,
        handler: admin::create_job,
    },
    RouteRow {
        method: Method::POST,
        path: "/__emulator/faults",
        name: None,
        service: Service::Admin,
        auth: Auth::Open,
        handler: admin::set_faults,
    },
];

/// The row for `method` and `path`, with what its pattern captured; `None`: no such route.
pub(crate) fn find(method: &Method, path: &str) -> Option<(&'static RouteRow, PathParams)> {
    ROUTES
        .iter()
        .filter(|row| row.method == *method)
        .find_map(|row| captures(row.path, path).map(|params| (row, params)))
}

fn segments(path: &str) -> impl Iterator<Item = &str> {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    trimmed.strip_suffix('/').unwrap_or(trimmed).split('/')
}

/// What `pattern` captures from `path`, or `None` if it does not match.
fn captures(pattern: &'static str, path: &str) -> Option<PathParams> {
    let mut wanted = segments(pattern);
    let mut given = segments(path);
    let mut params = Vec::new();
    loop {
        match (wanted.next(), given.next()) {
            (None, None) => return Some(PathParams(params)),
            (Some(want), Some(got)) => {
                match want.strip_prefix('{').and_then(|w| w.strip_suffix('}')) {
                    Some(name) => params.push((name, decode_segment(got))),
                    None if want == got => {}
                    None => return None,
                }
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matched(method: Method, path: &str) -> Option<(&'static str, Vec<(&'static str, String)>)> {
        find(&method, path).map(|(row, params)| (row.path, params.0))
    }

    #[test]
    fn paths_map_to_routes_with_decoded_ids() {
        let (row, params) = find(
            &Method::POST,
            "/v2/p/clusters/c%2D1/job-executions/a%2Fb/kill",
        )
        .expect("kill route");
        assert_eq!(row.name, Some(Route::Kill));
        assert_eq!(
            params.0,
            [
                ("project_id", "p".to_owned()),
                ("cluster_id", "c-1".to_owned()),
                ("job_id", "a/b".to_owned())
            ]
        );
        let (row, params) =
            find(&Method::GET, "/v2/p/clusters/c/job-executions/").expect("list route");
        assert_eq!(row.name, Some(Route::ListJobs));
        assert_eq!(params.get("cluster_id"), "c");
        assert_eq!(
            find(&Method::GET, "/v3/projects").map(|(row, _)| row.name),
            Some(Some(Route::IamProjects))
        );
        assert_eq!(matched(Method::DELETE, "/v3/projects"), None);
        assert_eq!(
            matched(Method::GET, "/v2/p/clusters/c/job-executions/j/kill"),
            None
        );
        assert_eq!(matched(Method::GET, "/v2/p/clusters/c"), None);
        let (row, _) = find(&Method::GET, "/__emulator/stats").expect("admin route");
        assert_eq!(row.service, Service::Admin);
    }

    #[test]
    fn every_name_has_a_row_and_only_admin_rows_go_unnamed() {
        for route in Route::ALL {
            assert!(
                ROUTES.iter().any(|row| row.name == Some(route)),
                "no row counts as {route:?}"
            );
        }
        for row in &ROUTES {
            assert_eq!(
                row.name.is_none(),
                row.service == Service::Admin,
                "{} {}",
                row.method,
                row.path
            );
        }
    }

    #[test]
    fn no_two_rows_answer_the_same_request() {
        for (i, a) in ROUTES.iter().enumerate() {
            for b in &ROUTES[i + 1..] {
                // Fill each pattern's captures with a sample and see whether the other matches.
                let sample = a.path.replace(['{', '}'], "");
                assert!(
                    a.method != b.method || captures(b.path, &sample).is_none(),
                    "{} {} and {}",
                    a.method,
                    a.path,
                    b.path
                );
            }
        }
    }
}
