//! Outcomes and faults turned into responses, status by status.

use axum::body::to_bytes;
use axum::response::{IntoResponse, Response};
use cmdx::prelude::*;
use cmdx_axum::{Problem, Reply, StatusMap};
use cmdx_test::Capture;
use http::StatusCode;
use serde_json::{Value, json};

/// Ends the way `how` says.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct EndAs {
    #[garde(length(min = 1))]
    how: String,
}

impl Task for EndAs {
    type Output = Option<i64>;
    fn name() -> &'static str {
        "EndAs"
    }

    async fn work(&self, _: &mut Cx) -> Result<Option<i64>, Halt> {
        match self.how.as_str() {
            "value" => Ok(Some(5)),
            "nothing" => Ok(None),
            "skip" => skip!("Already shipped", order_id = 7),
            "early" => success!("Nothing left to do"),
            "error" => Err(std::io::Error::other("connection to db-7.internal refused"))?,
            "panic" => panic!("secret panic text"),
            code => fail!("Refused", code = code, secret = "s3cr3t"),
        }
    }
}

async fn answer(how: &str, statuses: &StatusMap) -> (StatusCode, Value, String) {
    let capture = Capture::new();
    let outcome = capture.run(EndAs { how: how.into() }.execute()).await;
    split(Reply::new(outcome).statuses(statuses).into_response()).await
}

async fn split(response: Response) -> (StatusCode, Value, String) {
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map_or("", |v| v.to_str().unwrap())
        .to_owned();
    let bytes = to_bytes(response.into_body(), 1 << 20).await.unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, body, content_type)
}

#[tokio::test]
async fn a_value_answers_200_with_it_as_json() {
    let (status, body, content_type) = answer("value", &StatusMap::new()).await;
    assert_eq!((status, body), (StatusCode::OK, json!(5)));
    assert_eq!(content_type, "application/json");
}

#[tokio::test]
async fn a_value_that_serializes_to_null_answers_204_without_a_body() {
    let (status, body, content_type) = answer("nothing", &StatusMap::new()).await;
    assert_eq!(
        (status, body, content_type.as_str()),
        (StatusCode::NO_CONTENT, Value::Null, "")
    );
}

#[tokio::test]
async fn a_skip_answers_200_with_its_status_and_reason() {
    let (status, body, _) = answer("skip", &StatusMap::new()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "skipped");
    assert_eq!(body["reason"], "Already shipped");
    assert!(body["cid"].is_string());
}

#[tokio::test]
async fn an_early_success_without_a_value_answers_200_with_its_reason() {
    let (status, body, _) = answer("early", &StatusMap::new()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "success");
    assert_eq!(body["reason"], "Nothing left to do");
}

#[tokio::test]
async fn an_unmapped_code_answers_500_with_the_reason_but_no_other_metadata() {
    let (status, body, content_type) = answer("payment_declined", &StatusMap::new()).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(body["detail"], "Refused");
    assert_eq!(body["code"], "payment_declined");
    assert!(!body.to_string().contains("s3cr3t"));
}

#[tokio::test]
async fn a_mapped_code_answers_its_status_and_type() {
    let statuses = StatusMap::new()
        .code("payment_declined", StatusCode::PAYMENT_REQUIRED)
        .type_base("https://errors.example.com/");
    let (status, body, _) = answer("payment_declined", &statuses).await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED);
    assert_eq!(body["status"], 402);
    assert_eq!(body["type"], "https://errors.example.com/payment_declined");
    assert_eq!(body["title"], "Payment declined");
}

#[tokio::test]
async fn an_uncaught_error_answers_500_without_its_message_or_cause() {
    let (status, body, _) = answer("error", &StatusMap::new()).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["type"], "about:blank");
    assert_eq!(body["title"], "Internal Server Error");
    let text = body.to_string();
    assert!(!text.contains("db-7.internal"), "{text}");
    assert!(
        text.contains(body["cid"].as_str().unwrap()),
        "detail quotes the chain id"
    );
}

#[tokio::test]
async fn a_panic_answers_500_without_the_panic_text() {
    let (status, body, _) = answer("panic", &StatusMap::new()).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!body.to_string().contains("secret panic text"));
}

#[tokio::test]
async fn a_fault_from_a_strict_call_becomes_a_problem_with_question_mark() {
    async fn handler() -> Result<StatusCode, Problem> {
        let _never = EndAs { how: "gone".into() }.execute_strict().await?;
        Ok(StatusCode::OK)
    }
    let capture = Capture::new();
    let response = capture.run(handler()).await.into_response();
    let (status, body, _) = split(response).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["code"], "gone");
    let statuses = StatusMap::new().code("gone", StatusCode::GONE);
    let fault = capture
        .run(EndAs { how: "gone".into() }.execute_strict())
        .await
        .unwrap_err();
    assert_eq!(
        Problem::from_fault(&fault, &statuses).status(),
        StatusCode::GONE
    );
}

#[tokio::test]
async fn invalid_input_answers_422_whatever_the_map_says() {
    let capture = Capture::new();
    let outcome = capture.run(EndAs::execute_json(json!({"how": ""}))).await;
    let statuses = StatusMap::new().code("invalid_input", StatusCode::BAD_REQUEST);
    let (status, body, _) = split(Reply::new(outcome).statuses(&statuses).into_response()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"], "invalid input");
    assert!(body["fields"]["how"].is_array());
}

/// Calls [`EndAs`] with invalid input: a bug of the server, not the client.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct CallsWithBadInput {}

impl Task for CallsWithBadInput {
    type Output = ();
    fn name() -> &'static str {
        "CallsWithBadInput"
    }

    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        EndAs::execute_json(json!({"how": ""})).await.throw()
    }
}

#[tokio::test]
async fn a_nested_tasks_invalid_input_answers_500_not_422() {
    let capture = Capture::new();
    let outcome = capture.run(CallsWithBadInput {}.execute()).await;
    assert_eq!(outcome.code(), Some("invalid_input"));
    let (status, body, _) = split(Reply::new(outcome).into_response()).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        body.get("fields").is_none() && body.get("code").is_none(),
        "{body}"
    );
}

#[tokio::test]
async fn a_transient_code_answers_503_with_retry_after() {
    let statuses = StatusMap::new().transient("database_busy", 3);
    let capture = Capture::new();
    let outcome = capture
        .run(
            EndAs {
                how: "database_busy".into(),
            }
            .execute(),
        )
        .await;
    let response = Reply::new(outcome).statuses(&statuses).into_response();
    assert_eq!(response.headers()["retry-after"], "3");
    let (status, body, _) = split(response).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["code"], "database_busy");
    assert_eq!(body["detail"], "Refused");

    // Other codes, and a transient code remapped with `code`, send none.
    let remapped = statuses.clone().code("database_busy", StatusCode::CONFLICT);
    for statuses in [&statuses, &remapped] {
        let outcome = capture.run(EndAs { how: "x".into() }.execute()).await;
        let response = Reply::new(outcome).statuses(statuses).into_response();
        assert!(response.headers().get("retry-after").is_none());
    }
    let outcome = capture
        .run(
            EndAs {
                how: "database_busy".into(),
            }
            .execute(),
        )
        .await;
    let response = Reply::new(outcome).statuses(&remapped).into_response();
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert!(response.headers().get("retry-after").is_none());
}

#[tokio::test]
async fn a_reply_without_an_outcome_answers_its_problem() {
    let problem = Problem::new(StatusCode::SERVICE_UNAVAILABLE)
        .code("shutting_down")
        .retry_after(1);
    let reply = Reply::<i64>::from(problem).map(|n| n + 1);
    assert!(reply.outcome().is_none());
    assert_eq!(
        reply.problem().unwrap().status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    let rendered = reply.render();
    assert_eq!(rendered.retry_after(), Some(1));
    let response = rendered.into_response();
    assert_eq!(response.headers()["retry-after"], "1");
    let (status, body, content_type) = split(response).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["code"], "shutting_down");
    assert_eq!(content_type, "application/problem+json");
    let reply: Reply<i64> = Reply::from(Problem::new(StatusCode::INTERNAL_SERVER_ERROR));
    assert!(reply.into_outcome().is_none());
}

#[tokio::test]
async fn a_reply_keeps_its_outcome_and_only_transient_failures_ask_for_a_retry() {
    let statuses = StatusMap::new().transient("database_busy", 3);
    let capture = Capture::new();
    for (how, retry_after) in [("value", None), ("x", None), ("database_busy", Some(3))] {
        let outcome = capture.run(EndAs { how: how.into() }.execute()).await;
        let reply = Reply::new(outcome).statuses(&statuses);
        assert!(reply.problem().is_none());
        assert_eq!(reply.outcome().map(|o| o.task()), Some("EndAs"));
        assert_eq!(reply.render().retry_after(), retry_after, "{how}");
    }
    let outcome = capture
        .run(
            EndAs {
                how: "value".into(),
            }
            .execute(),
        )
        .await;
    let kept = Reply::new(outcome).into_outcome().expect("the outcome");
    assert_eq!(kept.value(), Some(&Some(5)));
}

#[tokio::test]
async fn a_strict_call_without_a_value_answers_409_for_a_skip_and_500_for_a_bare_success() {
    async fn handler(how: &'static str) -> Result<StatusCode, Problem> {
        EndAs { how: how.into() }.execute_strict().await?;
        Ok(StatusCode::OK)
    }
    let capture = Capture::new();
    let (status, body, _) = split(capture.run(handler("skip")).await.into_response()).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["detail"], "Already shipped", "a skip says why: {body}");
    let (status, body, _) = split(capture.run(handler("early")).await.into_response()).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        !body.to_string().contains("Nothing left to do"),
        "a bare success is the server's bug, not shown: {body}"
    );
    let (status, _, _) = split(capture.run(handler("value")).await.into_response()).await;
    assert_eq!(status, StatusCode::OK);

    #[derive(Debug, Serialize, Deserialize, Validate)]
    struct Gone {}
    impl Task for Gone {
        type Output = ();
        fn name() -> &'static str {
            "Gone"
        }
        async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
            skip!("Order was cancelled", code = "cancelled");
        }
    }
    let statuses = StatusMap::new().code("cancelled", StatusCode::GONE);
    let fault = capture.run(Gone {}.execute_strict()).await.unwrap_err();
    let problem = Problem::from_fault(&fault, &statuses);
    assert_eq!(
        problem.status(),
        StatusCode::GONE,
        "a mapped skip code wins"
    );
}
