//! Where each region's MRS and IAM live, as the official SDKs say.
//!
//! Most regions follow `https://{service}.{region}.myhuaweicloud.com`, but not all: `eu-west-101`
//! lives under `myhuaweicloud.eu`, and MRS in `ap-southeast-1`, `ap-southeast-4` and
//! `ru-northwest-2` under `myhuaweicloud.cn` while IAM there stays on `.com`. Guessing the host
//! from the region name sends users of those regions to a host that does not exist, so the
//! tables are kept as data, copied from the SDKs' region files by a script, not retyped:
//!
//! - huaweicloudsdkmrs **3.1.219**, `huaweicloudsdkmrs/v2/region/mrs_region.py`
//! - huaweicloudsdkiam **3.1.219**, `huaweicloudsdkiam/v3/region/iam_region.py`
//!
//! (`pip download --no-deps huaweicloudsdkmrs huaweicloudsdkiam`; `regions.json` holds every
//! `Region("name", "url")` of both files.) A region missing from a table falls back to the
//! usual pattern in [`super::config`].

use std::collections::HashMap;
use std::sync::OnceLock;

/// The SDK tables, verbatim.
const TABLES: &str = include_str!("regions.json");

/// A service with a per-region endpoint table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// MapReduce Service.
    Mrs,
    /// Identity and Access Management (project lookup).
    Iam,
    /// Security Token Service (`POST /v5/agencies/assume`). The SDK tables do not list it; it
    /// lives beside IAM, on IAM's domain suffix (so `.eu` in `eu-west-101`).
    Sts,
}

impl Service {
    /// The service's host-name prefix, e.g. `mrs`.
    pub fn prefix(self) -> &'static str {
        match self {
            Service::Mrs => "mrs",
            Service::Iam => "iam",
            Service::Sts => "sts",
        }
    }
}

#[derive(serde::Deserialize)]
struct Tables {
    mrs: HashMap<String, String>,
    iam: HashMap<String, String>,
}

fn tables() -> &'static Tables {
    static PARSED: OnceLock<Tables> = OnceLock::new();
    // The file is part of the binary and its shape is pinned by a unit test, so a failure here is
    // a build defect, not something a user can cause.
    PARSED.get_or_init(|| serde_json::from_str(TABLES).expect("src/mrs/regions.json is valid"))
}

/// The SDK's endpoint URL of `service` in `region`, if the SDK lists that region.
pub fn sdk_endpoint(service: Service, region: &str) -> Option<String> {
    let table = match service {
        Service::Mrs => &tables().mrs,
        Service::Iam | Service::Sts => &tables().iam,
    };
    let url = table.get(region)?;
    match service {
        Service::Sts => url
            .strip_prefix("https://iam.")
            .map(|rest| format!("https://sts.{rest}")),
        _ => Some(url.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(service: Service, region: &str) -> String {
        let url = sdk_endpoint(service, region).unwrap_or_else(|| panic!("{region} not listed"));
        url::Url::parse(&url)
            .unwrap()
            .host_str()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn sts_lives_on_iams_domain_suffix() {
        assert_eq!(
            host(Service::Sts, "eu-west-101"),
            "sts.eu-west-101.myhuaweicloud.eu"
        );
        assert_eq!(
            host(Service::Sts, "cn-north-4"),
            "sts.cn-north-4.myhuaweicloud.com"
        );
        assert_eq!(sdk_endpoint(Service::Sts, "ru-northwest-2"), None);
    }

    #[test]
    fn each_exception_of_the_sdk_tables_is_pinned() {
        // REFERENCE.md §7.
        assert_eq!(
            host(Service::Mrs, "eu-west-101"),
            "mrs.eu-west-101.myhuaweicloud.eu"
        );
        assert_eq!(
            host(Service::Iam, "eu-west-101"),
            "iam.eu-west-101.myhuaweicloud.eu"
        );
        for region in ["ap-southeast-1", "ap-southeast-4", "ru-northwest-2"] {
            assert_eq!(
                host(Service::Mrs, region),
                format!("mrs.{region}.myhuaweicloud.cn")
            );
        }
        for region in ["ap-southeast-1", "ap-southeast-4"] {
            assert_eq!(
                host(Service::Iam, region),
                format!("iam.{region}.myhuaweicloud.com")
            );
        }
        assert_eq!(sdk_endpoint(Service::Iam, "ru-northwest-2"), None);
    }

    #[test]
    fn every_other_listed_region_follows_the_usual_pattern() {
        let exceptions = [
            "eu-west-101",
            "ap-southeast-1",
            "ap-southeast-4",
            "ru-northwest-2",
        ];
        for (service, table) in [(Service::Mrs, &tables().mrs), (Service::Iam, &tables().iam)] {
            assert!(table.len() > 20, "{service:?} table looks truncated");
            for (region, url) in table {
                let usual = format!("https://{}.{region}.myhuaweicloud.com", service.prefix());
                if exceptions.contains(&region.as_str()) && service == Service::Mrs {
                    assert_ne!(url, &usual, "{region}");
                } else if region != "eu-west-101" {
                    assert_eq!(url, &usual, "{service:?} {region}");
                }
            }
        }
    }
}
