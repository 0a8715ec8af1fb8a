//! The offer for workers on mobility as the store keeps it (on [`crate::tx`], both backends):
//! offers by reference, demand by employer × commune × month, placements by offer × month ×
//! employer (an offer's beds and months checked against the month's total).

use super::ProximityImportOutcome;
use crate::Result;
use crate::audit::{Actor, Change};
use crate::tx::{Put, Row, RowResult, Transactions, Tx, Value, import_rows};
use logis_domain::proximity::Month;
use logis_domain::proximity::mobility::{DemandDraft, OccupancyDraft, OfferDraft, check_occupancy};
use logis_domain::text::name_key;

fn month_of(text: &str) -> Result<Month> {
    Month::parse(text).map_err(crate::StoreError::Backend)
}

fn offer_of(r: &Row) -> Result<OfferDraft> {
    let commune = r.text(2)?;
    Ok(OfferDraft {
        reference: r.text(0)?,
        landlord: r.int(1)?,
        commune: logis_domain::CommuneCode::parse(&commune)
            .map_err(|e| crate::StoreError::Backend(e.0))?,
        dwellings: u32::try_from(r.int(3)?).unwrap_or(0),
        beds: u32::try_from(r.int(4)?).unwrap_or(0),
        monthly_price: r
            .opt_int(5)?
            .and_then(|c| logis_domain::Euros::from_cents(c).ok()),
        furnished: r.opt_bool(6)?,
        services: r.text(7)?,
        from: month_of(&r.text(8)?)?,
        until: r.opt_text(9)?.map(|m| month_of(&m)).transpose()?,
        later_use: r.text(10)?,
    })
}

fn put_offer(tx: &mut dyn Tx, actor: &Actor, d: &OfferDraft) -> Result<RowResult> {
    let key = name_key(&d.reference);
    let found = tx.query(sql::OFFER_BY_KEY, &[Value::text(key.clone())])?;
    let before = found.first().map(offer_of).transpose()?;
    if before.as_ref() == Some(d) {
        return Ok(Ok(Put::Unchanged));
    }
    let params = [
        Value::text(d.reference.clone()),
        Value::int(d.landlord),
        Value::text(d.commune.as_str()),
        Value::int(i64::from(d.dwellings)),
        Value::int(i64::from(d.beds)),
        Value::Int(d.monthly_price.map(|p| p.cents())),
        Value::Bool(d.furnished),
        Value::text(d.services.clone()),
        Value::text(d.from.text()),
        Value::Text(d.until.map(Month::text)),
        Value::text(d.later_use.clone()),
        Value::text(key),
    ];
    tx.execute(sql::PUT_OFFER, &params)?;
    tx.record(
        actor,
        &Change {
            entity: "offre_mobilite",
            entity_id: d.reference.clone(),
            operation_id: None,
            action: if before.is_some() {
                "modification"
            } else {
                "creation"
            },
            before: None,
            after: Some(serde_json::json!({
                "bailleur": d.landlord, "commune": d.commune.as_str(), "logements": d.dwellings,
                "lits": d.beds, "debut": d.from.text(), "fin": d.until.map(Month::text),
            })),
        },
    )?;
    Ok(Ok(if before.is_some() {
        Put::Updated
    } else {
        Put::Created
    }))
}

fn put_demand(tx: &mut dyn Tx, actor: &Actor, d: &DemandDraft) -> Result<RowResult> {
    let key = [
        Value::text(d.employer.as_str()),
        Value::text(d.commune.as_str()),
        Value::text(d.month.text()),
    ];
    let before = tx.query(sql::DEMAND, &key)?;
    let values = (
        d.employer_name.clone(),
        i64::from(d.workers),
        d.stay_months.map(i64::from),
        d.monthly_budget.map(|b| b.cents()),
        d.profile.clone(),
    );
    let old = match before.first() {
        Some(r) => Some((
            r.text(0)?,
            r.int(1)?,
            r.opt_int(2)?,
            r.opt_int(3)?,
            r.text(4)?,
        )),
        None => None,
    };
    if old.as_ref() == Some(&values) {
        return Ok(Ok(Put::Unchanged));
    }
    let mut params = key.to_vec();
    params.extend([
        Value::text(values.0.clone()),
        Value::int(values.1),
        Value::Int(values.2),
        Value::Int(values.3),
        Value::text(values.4.clone()),
    ]);
    tx.execute(sql::PUT_DEMAND, &params)?;
    tx.record(
        actor,
        &Change {
            entity: "besoin_mobilite",
            entity_id: format!("{}/{}/{}", d.employer.as_str(), d.commune.as_str(), d.month),
            operation_id: None,
            action: if old.is_some() {
                "modification"
            } else {
                "creation"
            },
            before: None,
            after: Some(serde_json::json!({ "employeur": d.employer_name, "salaries": d.workers })),
        },
    )?;
    Ok(Ok(if old.is_some() {
        Put::Updated
    } else {
        Put::Created
    }))
}

fn put_occupancy(tx: &mut dyn Tx, actor: &Actor, d: &OccupancyDraft) -> Result<RowResult> {
    let found = tx.query(sql::OFFER_WITH_ID, &[Value::text(name_key(&d.offer))])?;
    let Some(r) = found.first() else {
        return Ok(Err(("offre", format!("offre inconnue « {} »", d.offer))));
    };
    let id = r.int(11)?;
    let offer = offer_of(r)?;
    let others = tx
        .query(
            sql::OTHERS_IN_MONTH,
            &[
                Value::int(id),
                Value::text(d.month.text()),
                Value::text(d.employer.as_str()),
            ],
        )?
        .first()
        .map(|r| r.count(0))
        .transpose()?
        .unwrap_or(0);
    let total = u32::try_from(others)
        .unwrap_or(u32::MAX)
        .saturating_add(d.occupants);
    if let Err((column, message)) = check_occupancy(&offer, d.month, total) {
        return Ok(Err((column, message)));
    }
    let key = [
        Value::int(id),
        Value::text(d.month.text()),
        Value::text(d.employer.as_str()),
    ];
    let before = tx
        .query(sql::OCCUPANCY, &key)?
        .first()
        .map(|r| r.int(0))
        .transpose()?;
    if before == Some(i64::from(d.occupants)) {
        return Ok(Ok(Put::Unchanged));
    }
    let mut params = key.to_vec();
    params.push(Value::int(i64::from(d.occupants)));
    tx.execute(sql::PUT_OCCUPANCY, &params)?;
    tx.record(
        actor,
        &Change {
            entity: "occupation_mobilite",
            entity_id: format!("{}/{}/{}", d.offer, d.month, d.employer.as_str()),
            operation_id: None,
            action: if before.is_some() {
                "modification"
            } else {
                "creation"
            },
            before: before.map(|b| serde_json::json!({ "occupants": b })),
            after: Some(serde_json::json!({ "occupants": d.occupants })),
        },
    )?;
    Ok(Ok(if before.is_some() {
        Put::Updated
    } else {
        Put::Created
    }))
}

/// The mobility offer's storage (part of [`super::ProximityStore`]).
pub trait MobilityStore: Transactions {
    fn put_offers(
        &self,
        actor: &Actor,
        rows: &[(u64, OfferDraft)],
    ) -> Result<ProximityImportOutcome> {
        let actor = actor.clone();
        import_rows(self, rows, &move |tx, d| put_offer(tx, &actor, d))
    }

    fn put_demand(
        &self,
        actor: &Actor,
        rows: &[(u64, DemandDraft)],
    ) -> Result<ProximityImportOutcome> {
        let actor = actor.clone();
        import_rows(self, rows, &move |tx, d| put_demand(tx, &actor, d))
    }

    fn put_occupancy(
        &self,
        actor: &Actor,
        rows: &[(u64, OccupancyDraft)],
    ) -> Result<ProximityImportOutcome> {
        let actor = actor.clone();
        import_rows(self, rows, &move |tx, d| put_occupancy(tx, &actor, d))
    }

    /// Every offer, demand and placement (the coverage report's inputs).
    fn mobility(&self) -> Result<(Vec<OfferDraft>, Vec<DemandDraft>, Vec<OccupancyDraft>)> {
        crate::tx::read(self, |tx| {
            let offers = tx
                .query(sql::OFFERS, &[])?
                .iter()
                .map(offer_of)
                .collect::<Result<Vec<_>>>()?;
            let mut demand = Vec::new();
            for r in tx.query(sql::ALL_DEMAND, &[])? {
                let commune = r.text(2)?;
                demand.push(DemandDraft {
                    employer: logis_domain::Siret::parse(&r.text(0)?)
                        .map_err(|e| crate::StoreError::Backend(e.0))?,
                    employer_name: r.text(1)?,
                    commune: logis_domain::CommuneCode::parse(&commune)
                        .map_err(|e| crate::StoreError::Backend(e.0))?,
                    month: month_of(&r.text(3)?)?,
                    workers: u32::try_from(r.int(4)?).unwrap_or(0),
                    stay_months: r.opt_int(5)?.and_then(|v| u32::try_from(v).ok()),
                    monthly_budget: r
                        .opt_int(6)?
                        .and_then(|c| logis_domain::Euros::from_cents(c).ok()),
                    profile: r.text(7)?,
                });
            }
            let mut occupancy = Vec::new();
            for r in tx.query(sql::ALL_OCCUPANCY, &[])? {
                occupancy.push(OccupancyDraft {
                    offer: r.text(0)?,
                    month: month_of(&r.text(1)?)?,
                    employer: logis_domain::Siret::parse(&r.text(2)?)
                        .map_err(|e| crate::StoreError::Backend(e.0))?,
                    occupants: u32::try_from(r.int(3)?).unwrap_or(0),
                });
            }
            Ok((offers, demand, occupancy))
        })
    }
}

pub mod sql {
    macro_rules! offer_columns {
        () => {
            "o.reference, o.landlord_id, o.commune_code, o.dwellings, o.beds, o.monthly_price_cents, o.furnished, o.services, o.from_month, o.until_month, o.later_use"
        };
    }
    pub const OFFER_BY_KEY: &str = concat!(
        "SELECT ",
        offer_columns!(),
        " FROM mobility_offers o WHERE o.reference_key = $1"
    );
    pub const OFFER_WITH_ID: &str = concat!(
        "SELECT ",
        offer_columns!(),
        ", o.id FROM mobility_offers o WHERE o.reference_key = $1"
    );
    pub const OFFERS: &str = concat!(
        "SELECT ",
        offer_columns!(),
        " FROM mobility_offers o ORDER BY o.reference_key"
    );
    pub const PUT_OFFER: &str = "INSERT INTO mobility_offers (reference, landlord_id, commune_code, dwellings, beds, monthly_price_cents,
        furnished, services, from_month, until_month, later_use, reference_key)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
        ON CONFLICT (reference_key) DO UPDATE SET reference = excluded.reference, landlord_id = excluded.landlord_id,
        commune_code = excluded.commune_code, dwellings = excluded.dwellings, beds = excluded.beds,
        monthly_price_cents = excluded.monthly_price_cents, furnished = excluded.furnished, services = excluded.services,
        from_month = excluded.from_month, until_month = excluded.until_month, later_use = excluded.later_use";
    pub const DEMAND: &str =
        "SELECT employer_name, workers, stay_months, budget_cents, profile FROM mobility_demand
        WHERE employer_siret = $1 AND commune_code = $2 AND month = $3";
    pub const PUT_DEMAND: &str = "INSERT INTO mobility_demand (employer_siret, commune_code, month, employer_name, workers, stay_months, budget_cents, profile)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (employer_siret, commune_code, month) DO UPDATE SET employer_name = excluded.employer_name,
        workers = excluded.workers, stay_months = excluded.stay_months, budget_cents = excluded.budget_cents, profile = excluded.profile";
    pub const ALL_DEMAND: &str = "SELECT employer_siret, employer_name, commune_code, month, workers, stay_months, budget_cents, profile
        FROM mobility_demand ORDER BY commune_code, month, employer_siret";
    pub const OTHERS_IN_MONTH: &str =
        "SELECT CAST(COALESCE(SUM(occupants), 0) AS BIGINT) FROM mobility_occupancy
        WHERE offer_id = $1 AND month = $2 AND employer_siret <> $3";
    pub const OCCUPANCY: &str = "SELECT occupants FROM mobility_occupancy WHERE offer_id = $1 AND month = $2 AND employer_siret = $3";
    pub const PUT_OCCUPANCY: &str = "INSERT INTO mobility_occupancy (offer_id, month, employer_siret, occupants) VALUES ($1, $2, $3, $4)
        ON CONFLICT (offer_id, month, employer_siret) DO UPDATE SET occupants = excluded.occupants";
    pub const ALL_OCCUPANCY: &str = "SELECT o.reference, p.month, p.employer_siret, p.occupants FROM mobility_occupancy p
        JOIN mobility_offers o ON o.id = p.offer_id ORDER BY o.reference_key, p.month, p.employer_siret";

    pub const ALL: &[&str] = &[
        OFFER_BY_KEY,
        OFFER_WITH_ID,
        OFFERS,
        PUT_OFFER,
        DEMAND,
        PUT_DEMAND,
        ALL_DEMAND,
        OTHERS_IN_MONTH,
        OCCUPANCY,
        PUT_OCCUPANCY,
        ALL_OCCUPANCY,
    ];
}
