//! Typed shared resources (a database pool, an HTTP client) reachable from
//! every task of a runtime without globals.

use std::any::{Any, TypeId, type_name};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// A resource and its type's name (for `Debug`).
type Entry = (&'static str, Arc<dyn Any + Send + Sync>);

/// A set of values keyed by their type. Cloning is cheap.
#[derive(Clone, Default)]
pub(crate) struct Resources {
    map: Arc<HashMap<TypeId, Entry>>,
}

impl Resources {
    pub(crate) fn insert<T: Send + Sync + 'static>(&mut self, value: T) {
        Arc::make_mut(&mut self.map).insert(TypeId::of::<T>(), (type_name::<T>(), Arc::new(value)));
    }

    pub(crate) fn get<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.map
            .get(&TypeId::of::<T>())
            .and_then(|(_, value)| value.downcast_ref())
    }
}

impl fmt::Debug for Resources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.map.values().map(|(name, _)| name))
            .finish()
    }
}

/// A task asked for a resource its runtime does not have.
///
/// Returned by [`Cx::resource`](crate::Cx::resource); with `?` inside `work`
/// it fails the task with a reason naming the missing type.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct MissingResource {
    type_name: &'static str,
    task: String,
}

impl MissingResource {
    pub(crate) fn new<T>(task: &str) -> Self {
        Self {
            type_name: type_name::<T>(),
            task: task.to_owned(),
        }
    }

    /// The type that was asked for.
    pub fn type_name(&self) -> &'static str {
        self.type_name
    }
}

impl fmt::Display for MissingResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "task `{}` needs a resource of type `{}` but its runtime has none; \
             add it with `Runtime::builder().resource(value)` or `runtime.with_resource(value)`",
            self.task, self.type_name
        )
    }
}

impl std::error::Error for MissingResource {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resource_is_found_by_its_type() {
        let mut resources = Resources::default();
        resources.insert(42_u32);
        resources.insert(String::from("pool"));
        assert_eq!(resources.get::<u32>(), Some(&42));
        assert_eq!(resources.get::<String>().map(String::as_str), Some("pool"));
        assert!(resources.get::<u64>().is_none());
    }

    #[test]
    fn a_missing_resource_says_how_to_add_it() {
        let message = MissingResource::new::<u64>("Inventory::ReserveStock").to_string();
        assert!(message.contains("`u64`"), "{message}");
        assert!(message.contains("Inventory::ReserveStock"), "{message}");
        assert!(message.contains("Runtime::builder().resource"), "{message}");
    }
}
