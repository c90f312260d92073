//! Delivery of one alert over SMTP with lettre (no TLS, no authentication: keepalived
//! has neither). keepalived waits `smtp_connect_timeout` for the connection and for each
//! reply; lettre's exchange runs several steps under one future, so each phase here gets
//! that limit once per reply it awaits.
//!
//! lettre introduces itself with `EHLO`, keepalived with `HELO`; every server that takes
//! one takes the other (the name given is the same).

use std::str::FromStr;

use lettre::address::{Address, AddressError, Envelope};
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::extension::ClientId;

use super::settings::Delivery;

/// Why an alert was not delivered.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid e-mail address '{0}': {1}")]
    Address(String, AddressError),
    #[error("no recipient")]
    NoRecipient,
    #[error("Timeout {0} SMTP server [{1}]:{2}")]
    Timeout(&'static str, String, u16),
    #[error("SMTP error with server [{1}]:{2}: {0}")]
    Smtp(lettre::transport::smtp::Error, String, u16),
}

/// Sends `message` (the text after `DATA`) to every recipient of `d`.
pub async fn deliver(d: &Delivery, message: &str) -> Result<(), MailError> {
    let address = |a: &String| Address::from_str(a).map_err(|e| MailError::Address(a.clone(), e));
    let to = d.to.iter().map(address).collect::<Result<Vec<_>, _>>()?;
    let envelope =
        Envelope::new(Some(address(&d.from)?), to).map_err(|_| MailError::NoRecipient)?;
    let smtp = |e| MailError::Smtp(e, d.host.clone(), d.port);
    let timeout = |what| MailError::Timeout(what, d.host.clone(), d.port);
    let hello = ClientId::Domain(d.helo.clone());
    // The connection, the greeting and the reply to EHLO.
    let connect = AsyncSmtpConnection::connect_tokio1(
        (d.host.as_str(), d.port),
        Some(d.timeout),
        &hello,
        None,
        None,
    );
    let mut conn = tokio::time::timeout(d.timeout * 3, connect)
        .await
        .map_err(|_| timeout("connecting"))?
        .map_err(smtp)?;
    // MAIL, each RCPT, DATA and the message.
    let steps = 3 + u32::try_from(d.to.len()).unwrap_or(u32::MAX / 2);
    let sent = tokio::time::timeout(d.timeout.saturating_mul(steps), async {
        conn.send(&envelope, message.as_bytes()).await
    })
    .await;
    match sent {
        Ok(Ok(_)) => {
            let _ = tokio::time::timeout(d.timeout, conn.quit()).await;
            Ok(())
        }
        Ok(Err(e)) => Err(smtp(e)),
        Err(_) => {
            // Stalled mid-exchange: drop the connection (lettre's abort would wait again).
            Err(timeout("reading data from"))
        }
    }
}
