//! One chain, one trace, two services: an "orders" service whose task calls
//! an "inventory" service over HTTP, both axum apps on 127.0.0.1 in this
//! process. The caller injects `traceparent` + `baggage`; the inventory
//! service extracts them and runs its task in the caller's chain and trace.
//!
//! `cargo run -q --example two_services` — stdout carries the ledger lines
//! of both services (same `cid`; the remote line's `parent` is the calling
//! task's `tid`); the narration goes to stderr. With
//! `OTEL_EXPORTER_OTLP_ENDPOINT` set, Jaeger shows one trace across the
//! services "orders" and "inventory" (see `examples/jaeger/README.md`).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use cmdx::prelude::*;
use cmdx_examples::inventory::{Inventory, ReceiveStock, ReserveStock};
use cmdx_telemetry::Telemetry;
use cmdx_telemetry::propagation::{extract_headers, inject_headers};
use std::sync::Arc;

/// Where the inventory service listens: a resource of the orders service.
struct InventoryUrl(String);

/// The orders service's task: reserves stock by calling the inventory
/// service, passing the chain and the trace along in the headers.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct PlaceOrder {
    #[garde(length(min = 1))]
    sku: String,
    #[garde(range(min = 1))]
    quantity: i64,
    #[garde(range(min = 1))]
    order_id: i64,
}

impl Task for PlaceOrder {
    type Output = ();

    fn name() -> &'static str {
        "Orders::PlaceOrder"
    }

    async fn work(&self, cx: &mut Cx) -> Result<(), Halt> {
        let url = &cx.resource::<InventoryUrl>()?.0;
        let mut headers = HeaderMap::new();
        inject_headers(cx, &mut headers);
        let response = reqwest::Client::new()
            .post(format!(
                "{url}/reserve/{}/{}/{}",
                self.sku, self.quantity, self.order_id
            ))
            .headers(headers)
            .send()
            .await?;
        match response.status() {
            StatusCode::OK => Ok(()),
            status => fail!(
                "Inventory refused the reservation",
                code = "reservation_refused",
                http_status = status.as_u16()
            ),
        }
    }
}

/// Inventory service: `POST /reserve/{sku}/{quantity}/{order_id}`.
async fn reserve(
    State(telemetry): State<Arc<Telemetry>>,
    Path((sku, quantity, order_id)): Path<(String, i64, i64)>,
    headers: HeaderMap,
) -> StatusCode {
    let incoming = extract_headers(&headers);
    let task = ReserveStock {
        sku,
        quantity,
        order_id,
    };
    let outcome = telemetry.scope(incoming.run(task.execute())).await;
    if outcome.is_success() {
        StatusCode::OK
    } else {
        StatusCode::CONFLICT
    }
}

/// Orders service: `POST /orders/{sku}/{quantity}/{order_id}`.
async fn place_order(
    State(telemetry): State<Arc<Telemetry>>,
    Path((sku, quantity, order_id)): Path<(String, i64, i64)>,
) -> (StatusCode, String) {
    let order = PlaceOrder {
        sku,
        quantity,
        order_id,
    };
    let outcome = telemetry.scope(order.execute()).await;
    let status = if outcome.is_success() {
        StatusCode::CREATED
    } else {
        StatusCode::CONFLICT
    };
    (
        status,
        format!("{} {}", outcome.status(), outcome.chain_id()),
    )
}

async fn serve(app: axum::Router) -> Result<String, Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(url)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Two services in one process, so each gets its own telemetry,
    // installed per request with `scope` rather than globally.
    // A file database: a request dropped mid-query cannot wipe it.
    let inventory = Inventory::temporary(cmdx_examples::inventory::DEFAULT_BUSY_TIMEOUT).await?;
    let stock = inventory.clone();
    let inventory_telemetry = Arc::new(
        Telemetry::builder()
            .service_name("inventory")
            .runtime(move |runtime| runtime.resource(stock))
            .build()?,
    );
    let inventory_url = serve(
        axum::Router::new()
            .route(
                "/reserve/{sku}/{quantity}/{order_id}",
                axum::routing::post(reserve),
            )
            .with_state(inventory_telemetry.clone()),
    )
    .await?;

    let url = inventory_url.clone();
    let orders_telemetry = Arc::new(
        Telemetry::builder()
            .service_name("orders")
            .runtime(move |runtime| runtime.resource(InventoryUrl(url)))
            .build()?,
    );
    let orders_url = serve(
        axum::Router::new()
            .route(
                "/orders/{sku}/{quantity}/{order_id}",
                axum::routing::post(place_order),
            )
            .with_state(orders_telemetry.clone()),
    )
    .await?;
    eprintln!("# inventory service at {inventory_url}, orders service at {orders_url}");

    eprintln!("# 20 SKU-1234 arrive (inventory service, its own chain)");
    let received = inventory_telemetry
        .scope(
            ReceiveStock {
                sku: "SKU-1234".into(),
                quantity: 20,
                warehouse_id: 1,
            }
            .execute(),
        )
        .await;
    eprintln!("#   -> {}", received.status());

    let client = reqwest::Client::new();
    for (quantity, order_id) in [(5, 401), (50, 402)] {
        eprintln!("# POST /orders/SKU-1234/{quantity}/{order_id} to the orders service");
        let response = client
            .post(format!(
                "{orders_url}/orders/SKU-1234/{quantity}/{order_id}"
            ))
            .send()
            .await?;
        eprintln!(
            "#   -> {} {} (outcome, chain id)",
            response.status(),
            response.text().await?
        );
    }
    eprintln!(
        "# Each order's two lines share the cid; the inventory line's parent is the order's tid"
    );

    for telemetry in [orders_telemetry, inventory_telemetry] {
        if let Some(telemetry) = Arc::into_inner(telemetry) {
            telemetry.shutdown().await?;
        }
    }
    Ok(())
}
