//! Reading the standard `OTEL_*` variables into an export decision.
//!
//! The resolution is a pure function of a variable lookup, so it is tested
//! without touching the process environment.

use crate::InitError;

/// The OTLP transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Protocol {
    /// OTLP over gRPC (`grpc`, usually port 4317).
    Grpc,
    /// OTLP over HTTP with protobuf bodies (`http/protobuf`, usually port
    /// 4318). The default, as the OpenTelemetry specification recommends.
    HttpProtobuf,
}

impl Protocol {
    /// Parses the value of `OTEL_EXPORTER_OTLP_PROTOCOL`.
    fn parse(variable: &'static str, value: &str) -> Result<Self, InitError> {
        match value.trim() {
            "grpc" => Ok(Self::Grpc),
            "http/protobuf" => Ok(Self::HttpProtobuf),
            other => Err(InitError::config(format!(
                "{variable}={other:?} is not supported: use \"grpc\" or \"http/protobuf\""
            ))),
        }
    }
}

/// Where and how one signal (spans or log records) is exported; `None`
/// from [`resolve`] or [`resolve_logs`] means "do not export it".
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) protocol: Protocol,
    /// The full URL handed to the exporter (`…/v1/traces` or `…/v1/logs`
    /// for HTTP).
    pub(crate) endpoint: String,
}

/// What the builder set in code; each wins over its variable.
#[derive(Debug, Clone, Default)]
pub(crate) struct Overrides {
    pub(crate) endpoint: Option<String>,
    pub(crate) protocol: Option<Protocol>,
    /// Export log records (`Some(true)`), never (`Some(false)`), or as
    /// `OTEL_LOGS_EXPORTER` says (`None`).
    pub(crate) logs: Option<bool>,
    pub(crate) logs_endpoint: Option<String>,
}

pub(crate) const SDK_DISABLED: &str = "OTEL_SDK_DISABLED";
pub(crate) const ENDPOINT: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";
pub(crate) const TRACES_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
pub(crate) const PROTOCOL: &str = "OTEL_EXPORTER_OTLP_PROTOCOL";
pub(crate) const TRACES_PROTOCOL: &str = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL";
pub(crate) const SERVICE_NAME: &str = "OTEL_SERVICE_NAME";
pub(crate) const LOGS_EXPORTER: &str = "OTEL_LOGS_EXPORTER";
pub(crate) const LOGS_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT";
pub(crate) const LOGS_PROTOCOL: &str = "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL";
pub(crate) const BLRP_MAX_QUEUE_SIZE: &str = "OTEL_BLRP_MAX_QUEUE_SIZE";

/// The variables and the HTTP path of one signal.
struct Signal {
    endpoint: &'static str,
    protocol: &'static str,
    http_path: &'static str,
}

const TRACES: Signal = Signal {
    endpoint: TRACES_ENDPOINT,
    protocol: TRACES_PROTOCOL,
    http_path: "/v1/traces",
};

const LOGS: Signal = Signal {
    endpoint: LOGS_ENDPOINT,
    protocol: LOGS_PROTOCOL,
    http_path: "/v1/logs",
};

/// Decides whether and where to export spans.
///
/// - `OTEL_SDK_DISABLED=true` turns export off, whatever else is set.
/// - The endpoint is the builder's, else `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`
///   (used as given), else `OTEL_EXPORTER_OTLP_ENDPOINT` (with `/v1/traces`
///   appended for HTTP). None of them ⇒ no export.
/// - The protocol is the builder's, else `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`,
///   else `OTEL_EXPORTER_OTLP_PROTOCOL`, else `http/protobuf`.
pub(crate) fn resolve(
    lookup: impl Fn(&str) -> Option<String>,
    overrides: &Overrides,
) -> Result<Option<Target>, InitError> {
    resolve_signal(
        &lookup,
        &TRACES,
        overrides.endpoint.as_deref(),
        overrides.protocol,
    )
}

/// Decides whether and where to export log records, the same way as
/// [`resolve`] with the `…_LOGS_…` variables and `/v1/logs`, and:
///
/// - the builder's `logs(false)`, or `OTEL_LOGS_EXPORTER=none`, turns log
///   export off; `otlp` (the specification's default, so also when unset)
///   exports when an endpoint is known; any other value is an error;
/// - the builder's traces `endpoint` is not used for logs (it names the
///   traces URL): set `logs_endpoint` in code, or the variables.
pub(crate) fn resolve_logs(
    lookup: impl Fn(&str) -> Option<String>,
    overrides: &Overrides,
) -> Result<Option<Target>, InitError> {
    let var = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
    let wanted = match overrides.logs {
        Some(wanted) => wanted,
        None => match var(LOGS_EXPORTER) {
            None => true,
            Some(value) => match value.trim() {
                "otlp" => true,
                "none" => false,
                other => {
                    return Err(InitError::config(format!(
                        "{LOGS_EXPORTER}={other:?} is not supported: use \"otlp\" or \"none\""
                    )));
                }
            },
        },
    };
    if !wanted {
        return Ok(None);
    }
    resolve_signal(
        &lookup,
        &LOGS,
        overrides.logs_endpoint.as_deref(),
        overrides.protocol,
    )
}

fn resolve_signal(
    lookup: &impl Fn(&str) -> Option<String>,
    signal: &Signal,
    endpoint: Option<&str>,
    protocol: Option<Protocol>,
) -> Result<Option<Target>, InitError> {
    let var = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
    if var(SDK_DISABLED).is_some_and(|v| v.trim().eq_ignore_ascii_case("true")) {
        return Ok(None);
    }
    let protocol = match protocol {
        Some(protocol) => protocol,
        None => match (var(signal.protocol), var(PROTOCOL)) {
            (Some(value), _) => Protocol::parse(signal.protocol, &value)?,
            (None, Some(value)) => Protocol::parse(PROTOCOL, &value)?,
            (None, None) => Protocol::HttpProtobuf,
        },
    };
    let endpoint = if let Some(endpoint) = endpoint {
        Some(endpoint.trim().to_owned())
    } else if let Some(endpoint) = var(signal.endpoint) {
        Some(endpoint.trim().to_owned())
    } else {
        var(ENDPOINT).map(|base| match protocol {
            Protocol::Grpc => base.trim().to_owned(),
            Protocol::HttpProtobuf => {
                format!("{}{}", base.trim().trim_end_matches('/'), signal.http_path)
            }
        })
    };
    let Some(endpoint) = endpoint else {
        return Ok(None);
    };
    if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
        return Err(InitError::config(format!(
            "OTLP endpoint {endpoint:?} is not a URL: write it as http://host:port"
        )));
    }
    Ok(Some(Target { protocol, endpoint }))
}

/// The log queue's capacity: the builder's, else `OTEL_BLRP_MAX_QUEUE_SIZE`,
/// else the SDK's default (2048). Known here so that drops are counted by
/// this crate, not hidden in the SDK.
pub(crate) fn log_queue_size(
    lookup: impl Fn(&str) -> Option<String>,
    configured: Option<usize>,
) -> Result<usize, InitError> {
    let size = match configured {
        Some(size) => size,
        None => match lookup(BLRP_MAX_QUEUE_SIZE).filter(|v| !v.trim().is_empty()) {
            None => 2048,
            Some(value) => value.trim().parse().map_err(|_| {
                InitError::config(format!(
                    "{BLRP_MAX_QUEUE_SIZE}={value:?} is not a number of log records"
                ))
            })?,
        },
    };
    if size == 0 {
        return Err(InitError::config(
            "the log queue size is 0: no log record could ever be exported; give it at least 1"
                .into(),
        ));
    }
    Ok(size)
}

/// The service name: `OTEL_SERVICE_NAME`, else the builder's, else the
/// executable's file name.
pub(crate) fn service_name(
    lookup: impl Fn(&str) -> Option<String>,
    configured: Option<&str>,
) -> String {
    lookup(SERVICE_NAME)
        .filter(|name| !name.trim().is_empty())
        .or_else(|| configured.map(str::to_owned))
        .or_else(|| {
            std::env::current_exe()
                .ok()
                .and_then(|exe| exe.file_stem()?.to_str().map(str::to_owned))
        })
        .unwrap_or_else(|| "unknown_service".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    fn target(vars: &[(&str, &str)]) -> Option<Target> {
        resolve(env(vars), &Overrides::default()).expect("valid configuration")
    }

    #[test]
    fn no_endpoint_means_no_export() {
        assert_eq!(target(&[(PROTOCOL, "grpc")]), None);
        assert_eq!(target(&[(ENDPOINT, "  ")]), None);
    }

    #[test]
    fn http_protobuf_is_the_default_and_appends_the_traces_path() {
        let target = target(&[(ENDPOINT, "http://localhost:4318/")]).expect("exports");
        assert_eq!(target.protocol, Protocol::HttpProtobuf);
        assert_eq!(target.endpoint, "http://localhost:4318/v1/traces");
    }

    #[test]
    fn grpc_uses_the_base_endpoint_as_given() {
        let target =
            target(&[(ENDPOINT, "http://localhost:4317"), (PROTOCOL, "grpc")]).expect("exports");
        assert_eq!(target.protocol, Protocol::Grpc);
        assert_eq!(target.endpoint, "http://localhost:4317");
    }

    #[test]
    fn the_traces_endpoint_wins_and_is_used_as_given() {
        let target = target(&[
            (ENDPOINT, "http://a:4318"),
            (TRACES_ENDPOINT, "http://b:9999/custom"),
        ])
        .expect("exports");
        assert_eq!(target.endpoint, "http://b:9999/custom");
    }

    #[test]
    fn the_traces_protocol_wins_over_the_general_one() {
        let target = target(&[
            (ENDPOINT, "http://a:4317"),
            (PROTOCOL, "http/protobuf"),
            (TRACES_PROTOCOL, "grpc"),
        ])
        .expect("exports");
        assert_eq!(target.protocol, Protocol::Grpc);
    }

    #[test]
    fn sdk_disabled_turns_export_off() {
        assert_eq!(
            target(&[(ENDPOINT, "http://a:4318"), (SDK_DISABLED, "TRUE")]),
            None
        );
        assert!(target(&[(ENDPOINT, "http://a:4318"), (SDK_DISABLED, "false")]).is_some());
    }

    #[test]
    fn builder_settings_win_over_variables() {
        let overrides = Overrides {
            endpoint: Some("http://127.0.0.1:1/v1/traces".into()),
            protocol: Some(Protocol::Grpc),
            ..Overrides::default()
        };
        let target = resolve(env(&[(ENDPOINT, "http://a:4318")]), &overrides)
            .expect("valid")
            .expect("exports");
        assert_eq!(target.endpoint, "http://127.0.0.1:1/v1/traces");
        assert_eq!(target.protocol, Protocol::Grpc);
    }

    #[test]
    fn an_unknown_protocol_is_an_error_naming_the_variable() {
        let error = resolve(
            env(&[(ENDPOINT, "http://a:4318"), (PROTOCOL, "http/json")]),
            &Overrides::default(),
        )
        .expect_err("http/json is not supported");
        let message = error.to_string();
        assert!(
            message.contains(PROTOCOL) && message.contains("http/json"),
            "{message}"
        );
    }

    #[test]
    fn an_endpoint_without_scheme_is_an_error() {
        let error = resolve(env(&[(ENDPOINT, "localhost:4318")]), &Overrides::default())
            .expect_err("needs a scheme");
        assert!(error.to_string().contains("http://host:port"));
    }

    #[test]
    fn service_name_prefers_the_variable_then_the_builder() {
        assert_eq!(
            service_name(env(&[(SERVICE_NAME, "billing")]), Some("x")),
            "billing"
        );
        assert_eq!(service_name(env(&[]), Some("inventory")), "inventory");
        assert!(!service_name(env(&[]), None).is_empty());
    }

    fn logs(vars: &[(&str, &str)]) -> Option<Target> {
        resolve_logs(env(vars), &Overrides::default()).expect("valid configuration")
    }

    #[test]
    fn logs_follow_the_general_endpoint_by_default_with_their_own_path() {
        let target = logs(&[(ENDPOINT, "http://localhost:4318/")]).expect("exports logs");
        assert_eq!(target.protocol, Protocol::HttpProtobuf);
        assert_eq!(target.endpoint, "http://localhost:4318/v1/logs");
        let target =
            logs(&[(ENDPOINT, "http://localhost:4317"), (PROTOCOL, "grpc")]).expect("exports");
        assert_eq!(target.endpoint, "http://localhost:4317");
        assert_eq!(target.protocol, Protocol::Grpc);
        assert_eq!(
            logs(&[(LOGS_EXPORTER, "otlp")]),
            None,
            "no endpoint, no export"
        );
    }

    #[test]
    fn the_logs_variables_win_over_the_general_ones() {
        let target = logs(&[
            (ENDPOINT, "http://a:4318"),
            (PROTOCOL, "http/protobuf"),
            (LOGS_ENDPOINT, "http://b:4317"),
            (LOGS_PROTOCOL, "grpc"),
            (TRACES_ENDPOINT, "http://c:1/v1/traces"),
        ])
        .expect("exports");
        assert_eq!(target.endpoint, "http://b:4317");
        assert_eq!(target.protocol, Protocol::Grpc);
        let traces = target_of(&[(ENDPOINT, "http://a:4318"), (LOGS_PROTOCOL, "grpc")]);
        assert_eq!(
            traces.protocol,
            Protocol::HttpProtobuf,
            "logs' protocol is theirs"
        );
    }

    fn target_of(vars: &[(&str, &str)]) -> Target {
        target(vars).expect("exports spans")
    }

    #[test]
    fn logs_exporter_none_or_sdk_disabled_turns_logs_off_and_not_traces() {
        let vars = [(ENDPOINT, "http://a:4318"), (LOGS_EXPORTER, " none ")];
        assert_eq!(logs(&vars), None);
        assert!(target(&vars).is_some(), "traces still export");
        assert_eq!(
            logs(&[(ENDPOINT, "http://a:4318"), (SDK_DISABLED, "true")]),
            None
        );
    }

    #[test]
    fn an_unknown_logs_exporter_is_an_error_naming_the_variable() {
        let error = resolve_logs(
            env(&[(ENDPOINT, "http://a:4318"), (LOGS_EXPORTER, "console")]),
            &Overrides::default(),
        )
        .expect_err("console is not supported");
        let message = error.to_string();
        assert!(
            message.contains(LOGS_EXPORTER) && message.contains("console"),
            "{message}"
        );
    }

    #[test]
    fn builder_log_settings_win_and_the_traces_endpoint_is_not_reused() {
        let on = Overrides {
            logs: Some(true),
            logs_endpoint: Some("http://127.0.0.1:9/v1/logs".into()),
            endpoint: Some("http://127.0.0.1:9/v1/traces".into()),
            ..Overrides::default()
        };
        let target = resolve_logs(env(&[(LOGS_EXPORTER, "none")]), &on)
            .expect("valid")
            .expect("exports");
        assert_eq!(target.endpoint, "http://127.0.0.1:9/v1/logs");
        let traces_only = Overrides {
            endpoint: Some("http://127.0.0.1:9/v1/traces".into()),
            ..Overrides::default()
        };
        assert_eq!(resolve_logs(env(&[]), &traces_only).expect("valid"), None);
        let off = Overrides {
            logs: Some(false),
            ..Overrides::default()
        };
        assert_eq!(
            resolve_logs(env(&[(ENDPOINT, "http://a:4318")]), &off).expect("valid"),
            None
        );
    }

    #[test]
    fn the_log_queue_size_comes_from_the_builder_then_the_variable() {
        assert_eq!(log_queue_size(env(&[]), None).expect("valid"), 2048);
        assert_eq!(
            log_queue_size(env(&[(BLRP_MAX_QUEUE_SIZE, "64")]), None).expect("valid"),
            64
        );
        assert_eq!(
            log_queue_size(env(&[(BLRP_MAX_QUEUE_SIZE, "64")]), Some(8)).expect("valid"),
            8
        );
        let error =
            log_queue_size(env(&[(BLRP_MAX_QUEUE_SIZE, "lots")]), None).expect_err("not a number");
        assert!(error.to_string().contains(BLRP_MAX_QUEUE_SIZE), "{error}");
        assert!(log_queue_size(env(&[]), Some(0)).is_err());
    }
}
