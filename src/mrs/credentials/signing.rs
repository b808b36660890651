//! Turning [`Credentials`] into the headers of one request: an AK/SK signature (with the
//! security token of temporary keys) or an IAM token.
//!
//! The transport asks an [`Authenticate`]r before every attempt and knows nothing of keys;
//! this is the one that knows keys, so signing lives beside them.

use std::time::{Instant, SystemTime};

use async_trait::async_trait;

use super::Credentials;
use crate::mrs::error::ApiError;
use crate::mrs::sent_secrets::SentSecrets;
use crate::mrs::signer::{self, AccessKey, SigningAlgorithm, SigningInput};
use crate::mrs::transport::{Authenticate, Unsigned};

/// Signs requests with `credentials` by `algorithm`.
#[derive(Debug, Clone)]
pub struct RequestSigner {
    /// What requests are signed with.
    pub credentials: Credentials,
    /// How AK/SK requests are signed (a token is sent as it is).
    pub algorithm: SigningAlgorithm,
}

#[async_trait]
impl Authenticate for RequestSigner {
    async fn authenticate(
        &self,
        request: Unsigned<'_>,
        deadline: Instant,
        sent: &mut SentSecrets,
    ) -> Result<Vec<(String, String)>, ApiError> {
        match &self.credentials {
            Credentials::AkSk {
                access_key,
                secret_key,
                security_token,
            } => {
                sent.add(access_key);
                sent.add(secret_key);
                Ok(sign(
                    self.algorithm,
                    request,
                    access_key,
                    secret_key,
                    security_token.as_deref(),
                ))
            }
            Credentials::Token(token) => {
                sent.add(token);
                let mut headers = request.headers;
                headers.push(("X-Auth-Token".to_owned(), token.clone()));
                Ok(headers)
            }
            Credentials::Temporary(source) => {
                let keys = source.current(deadline).await?;
                Ok(sign(
                    self.algorithm,
                    request,
                    &keys.access_key,
                    &keys.secret_key,
                    keys.security_token.as_deref(),
                ))
            }
        }
    }
}

/// `request`'s headers plus `X-Security-Token` (when given), `X-Sdk-Date`, `Host` and
/// `Authorization`.
fn sign(
    algorithm: SigningAlgorithm,
    request: Unsigned<'_>,
    access_key: &str,
    secret_key: &str,
    security_token: Option<&str>,
) -> Vec<(String, String)> {
    let mut headers = request.headers;
    if let Some(token) = security_token {
        headers.push(("X-Security-Token".to_owned(), token.to_owned()));
    }
    let input = SigningInput {
        method: request.method,
        url: request.url,
        headers: &headers,
        body: request.body,
    };
    let key = AccessKey {
        access_key,
        secret_key,
    };
    signer::sign_with(algorithm, &input, key, &signer::sdk_date(SystemTime::now())).headers
}
