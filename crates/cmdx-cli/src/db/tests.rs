//! The pushed-down SQL uses the schema's indexes: the query plans of the
//! article's questions, on a real SQLite file and a real PostgreSQL server.

use chrono::Utc;

use super::pushdown::{Dialect, Param, Select, select};
use super::{Connection, Database};
use crate::cli::FilterArgs;
use crate::filter::Filter;

/// The article's questions as filters: the support ticket (a bare `sku`),
/// a failure code, a task namespace, a chain, failures of the last hour.
fn questions() -> Vec<(&'static str, Filter)> {
    let with = |args: FilterArgs| Filter::new(&args, Utc::now()).unwrap();
    let wheres = |w: &str| {
        with(FilterArgs {
            r#where: vec![w.to_owned()],
            ..FilterArgs::default()
        })
    };
    vec![
        ("sku", wheres("sku=SKU-04242")),
        ("input.sku", wheres("input.sku=SKU-04242")),
        ("metadata.code", wheres("metadata.code=out_of_stock")),
        ("code", wheres("code=out_of_stock")),
        (
            "task glob",
            with(FilterArgs {
                task: Some("Inventory::*".into()),
                ..FilterArgs::default()
            }),
        ),
        ("cid", Filter::chain("01a2186b-2048-7609-9343-92ca0a32b25c")),
        (
            "failed since",
            with(FilterArgs {
                status: vec![crate::line::Status::Failed],
                since: Some("1h".into()),
                ..FilterArgs::default()
            }),
        ),
    ]
}

/// `EXPLAIN …` of `select` on `db`, as one text.
fn plan(db: &mut Database, explain: &str, select: &Select) -> String {
    let sql = format!("{explain} {}", select.sql);
    let (runtime, connection) = db.parts();
    runtime.block_on(async {
        let rows: Vec<String> = match connection {
            Connection::Sqlite(c) => {
                let mut q = sqlx::query_as::<_, (i64, i64, i64, String)>(&sql);
                for Param::Text(t) in &select.params {
                    q = q.bind(t.as_str());
                }
                q.fetch_all(c)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|r| r.3)
                    .collect()
            }
            Connection::Postgres(c) => {
                sqlx::raw_sql("SET enable_seqscan = off")
                    .execute(&mut *c)
                    .await
                    .unwrap();
                let mut q = sqlx::query_scalar::<_, String>(&sql);
                for Param::Text(t) in &select.params {
                    q = q.bind(t.as_str());
                }
                q.fetch_all(c).await.unwrap()
            }
        };
        rows.join("\n")
    })
}

fn create(url: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        cmdx_store::Store::open(url).await.unwrap().close().await;
    });
}

#[test]
fn every_question_is_answered_through_an_index_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("ledger.db").display());
    create(&url);
    let mut db = Database::open(&url).unwrap();
    for (name, filter) in questions() {
        let s = select(&filter, Dialect::Sqlite, true);
        let plan = plan(&mut db, "EXPLAIN QUERY PLAN", &s);
        assert!(plan.contains("USING INDEX"), "{name}: {}\n{plan}", s.sql);
        assert!(
            !plan.contains("SCAN cmdx_lines"),
            "{name}: {}\n{plan}",
            s.sql
        );
    }
}

#[test]
fn every_question_is_answered_through_an_index_on_postgres() {
    let cluster = cmdx_test::postgres::Cluster::start().unwrap();
    let url = cluster.url();
    create(&url);
    let mut db = Database::open(&url).unwrap();
    for (name, filter) in questions() {
        let s = select(&filter, Dialect::Postgres, true);
        let plan = plan(&mut db, "EXPLAIN", &s);
        assert!(plan.contains("Index"), "{name}: {}\n{plan}", s.sql);
        assert!(!plan.contains("Seq Scan"), "{name}: {}\n{plan}", s.sql);
    }
    drop(db);
    drop(cluster);
}
