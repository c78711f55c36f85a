//! The examples' file database: where it lives, and that it goes away.

use cmdx_examples::inventory::{DEFAULT_BUSY_TIMEOUT, Inventory};

#[tokio::test]
async fn a_temporary_database_is_removed_when_its_last_clone_drops() {
    let inventory = Inventory::temporary(DEFAULT_BUSY_TIMEOUT).await.unwrap();
    let file = inventory.path().expect("a file").to_owned();
    let dir = file.parent().unwrap().to_owned();
    assert!(file.exists(), "{file:?}");
    let clone = inventory.clone();
    drop(inventory);
    assert!(dir.exists(), "a clone still uses it");
    assert!(clone.product("SKU-1").await.unwrap().is_none());
    drop(clone);
    assert!(!dir.exists(), "{dir:?} removed");
}

#[tokio::test]
async fn a_named_database_keeps_its_data_across_opens() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kept.db");
    let first = Inventory::open(&file, DEFAULT_BUSY_TIMEOUT).await.unwrap();
    sqlx::query("INSERT INTO products (sku, available_quantity) VALUES ('SKU-K', 4)")
        .execute(first.pool())
        .await
        .unwrap();
    first.pool().close().await;
    let second = Inventory::open(&file, DEFAULT_BUSY_TIMEOUT).await.unwrap();
    assert_eq!(second.path(), Some(file.as_path()));
    let product = second.product("SKU-K").await.unwrap().unwrap();
    assert_eq!(product.available_quantity, 4);
    assert!(Inventory::in_memory().await.unwrap().path().is_none());
}
