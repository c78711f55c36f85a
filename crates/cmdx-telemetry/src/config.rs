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

/// Where and how spans are exported; `None` from [`resolve`] means "do not
/// export".
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) protocol: Protocol,
    /// The full URL handed to the exporter (`…/v1/traces` for HTTP).
    pub(crate) endpoint: String,
}

/// What the builder set in code; each wins over its variable.
#[derive(Debug, Clone, Default)]
pub(crate) struct Overrides {
    pub(crate) endpoint: Option<String>,
    pub(crate) protocol: Option<Protocol>,
}

pub(crate) const SDK_DISABLED: &str = "OTEL_SDK_DISABLED";
pub(crate) const ENDPOINT: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";
pub(crate) const TRACES_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
pub(crate) const PROTOCOL: &str = "OTEL_EXPORTER_OTLP_PROTOCOL";
pub(crate) const TRACES_PROTOCOL: &str = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL";
pub(crate) const SERVICE_NAME: &str = "OTEL_SERVICE_NAME";

/// Decides whether and where to export.
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
    let var = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
    if var(SDK_DISABLED).is_some_and(|v| v.trim().eq_ignore_ascii_case("true")) {
        return Ok(None);
    }
    let protocol = match overrides.protocol {
        Some(protocol) => protocol,
        None => match (var(TRACES_PROTOCOL), var(PROTOCOL)) {
            (Some(value), _) => Protocol::parse(TRACES_PROTOCOL, &value)?,
            (None, Some(value)) => Protocol::parse(PROTOCOL, &value)?,
            (None, None) => Protocol::HttpProtobuf,
        },
    };
    let endpoint = if let Some(endpoint) = &overrides.endpoint {
        Some(endpoint.trim().to_owned())
    } else if let Some(endpoint) = var(TRACES_ENDPOINT) {
        Some(endpoint.trim().to_owned())
    } else {
        var(ENDPOINT).map(|base| match protocol {
            Protocol::Grpc => base.trim().to_owned(),
            Protocol::HttpProtobuf => format!("{}/v1/traces", base.trim().trim_end_matches('/')),
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
}
