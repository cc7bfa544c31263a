//! Queries through the connection's statement cache: each statement is parsed once per
//! connection, then every use is one round trip.

use deadpool_postgres::GenericClient;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Error, Row};

pub(crate) trait Cached: GenericClient + Sync {
    async fn exec(&self, query: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64, Error> {
        let statement = self.prepare_cached(query).await?;
        self.execute(&statement, params).await
    }

    async fn opt(&self, query: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Option<Row>, Error> {
        let statement = self.prepare_cached(query).await?;
        self.query_opt(&statement, params).await
    }

    async fn one(&self, query: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Row, Error> {
        let statement = self.prepare_cached(query).await?;
        self.query_one(&statement, params).await
    }

    async fn all(&self, query: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>, Error> {
        let statement = self.prepare_cached(query).await?;
        self.query(&statement, params).await
    }
}

impl<T: GenericClient + Sync> Cached for T {}
