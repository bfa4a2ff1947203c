//! Proceedings that stop collection on every claim of a debtor: a business's collective
//! proceedings (procédure collective) and a consumer's over-indebtedness file (surendettement).

use chrono::{Months, NaiveDate};

use crate::Now;
use crate::claim::{Claim, ClaimError, ClaimEvent, ClaimState, FieldViolation};
use crate::parties::DebtorKind;

/// Months a creditor has to declare its claim from the BODACC publication of the opening
/// judgment (déclaration de créance, C. com. L622-24, R622-24 al. 1).
pub const DECLARATION_MONTHS: u32 = 2;

/// The same for a creditor who does not live in metropolitan France: the period is "augmenté
/// de deux mois pour les créanciers qui ne demeurent pas sur le territoire de la France
/// métropolitaine" (C. com. R622-24 al. 1).
pub const DECLARATION_MONTHS_OUTSIDE_METROPOLITAN_FRANCE: u32 = 4;

/// Postal-code prefixes of France outside the metropolitan territory: the overseas
/// departments and collectivities (971–978, 986–988). A creditor lives in metropolitan France
/// when its address is in France (country FR, or none given: the shorter period is the safe
/// side of a forclusion) outside these codes. The rule is applied where the declaration tasks
/// are created, in bulk (`recouvre_store::tasks::ensure_declaration_tasks`).
pub const OVERSEAS_POSTAL_PREFIXES: [&str; 2] = ["97", "98"];

/// Which collective proceedings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsolvencyKind {
    /// Sauvegarde (C. com. L620-1).
    Safeguard,
    /// Redressement judiciaire (L631-1).
    Reorganisation,
    /// Liquidation judiciaire (L640-1).
    Liquidation,
}

impl InsolvencyKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            InsolvencyKind::Safeguard => "safeguard",
            InsolvencyKind::Reorganisation => "reorganisation",
            InsolvencyKind::Liquidation => "liquidation",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "safeguard" => Some(InsolvencyKind::Safeguard),
            "reorganisation" => Some(InsolvencyKind::Reorganisation),
            "liquidation" => Some(InsolvencyKind::Liquidation),
            _ => None,
        }
    }
}

/// Proceedings recorded on a debtor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DebtorProceedings {
    /// A business in collective proceedings: individual actions and enforcement are stayed
    /// (C. com. L622-21) and the claim must be declared to the mandataire judiciaire.
    Insolvency {
        /// Which proceedings.
        kind: InsolvencyKind,
        /// The opening judgment's date.
        opened_on: NaiveDate,
        /// Its publication in the BODACC.
        published_on: NaiveDate,
        /// The court.
        court: String,
        /// The declaration's deadline for a creditor in metropolitan France: two months after
        /// the publication (each claim's declaration task applies R622-24's four months to a
        /// creditor who lives elsewhere).
        declaration_deadline: NaiveDate,
    },
    /// A consumer's over-indebtedness file was found admissible (recevabilité): enforcement is
    /// suspended (C. consom. L722-2) and claims bear no interest from that date (L722-14).
    OverIndebtedness {
        /// The admissibility decision's date.
        admissible_on: NaiveDate,
        /// The Banque de France commission.
        commission: String,
    },
}

impl DebtorProceedings {
    /// The hold it puts on claims.
    pub fn hold(&self) -> &'static str {
        match self {
            DebtorProceedings::Insolvency { .. } => "insolvency",
            DebtorProceedings::OverIndebtedness { .. } => "over_indebtedness",
        }
    }

    /// Checks the facts and fills the declaration deadline; every problem at once.
    pub fn checked(self, debtor: DebtorKind, today: NaiveDate) -> Result<Self, ClaimError> {
        let mut out = Vec::new();
        let checked = match self {
            DebtorProceedings::Insolvency {
                kind,
                opened_on,
                published_on,
                court,
                ..
            } => {
                if debtor != DebtorKind::Business {
                    out.push(FieldViolation::new(
                        "insolvency",
                        "collective proceedings concern a business debtor; a consumer's file is over-indebtedness",
                    ));
                }
                if opened_on > today {
                    out.push(FieldViolation::new(
                        "insolvency.opening_date",
                        "must not be in the future",
                    ));
                }
                if published_on < opened_on {
                    out.push(FieldViolation::new(
                        "insolvency.publication_date",
                        "must not be before the opening judgment",
                    ));
                } else if published_on > today {
                    out.push(FieldViolation::new(
                        "insolvency.publication_date",
                        "must not be in the future",
                    ));
                }
                if court.trim().is_empty() || court.contains('\0') || court.chars().count() > 200 {
                    out.push(FieldViolation::new(
                        "insolvency.court",
                        "is required, at most 200 characters",
                    ));
                }
                let deadline = published_on
                    .checked_add_months(Months::new(DECLARATION_MONTHS))
                    .unwrap_or(published_on);
                DebtorProceedings::Insolvency {
                    kind,
                    opened_on,
                    published_on,
                    court: court.trim().to_owned(),
                    declaration_deadline: deadline,
                }
            }
            DebtorProceedings::OverIndebtedness {
                admissible_on,
                commission,
            } => {
                if debtor != DebtorKind::Consumer {
                    out.push(FieldViolation::new(
                        "over_indebtedness",
                        "over-indebtedness concerns a consumer; a business's are collective proceedings",
                    ));
                }
                if admissible_on > today {
                    out.push(FieldViolation::new(
                        "over_indebtedness.admissibility_date",
                        "must not be in the future",
                    ));
                }
                if commission.contains('\0') || commission.chars().count() > 200 {
                    out.push(FieldViolation::new(
                        "over_indebtedness.commission",
                        "must be at most 200 characters",
                    ));
                }
                DebtorProceedings::OverIndebtedness {
                    admissible_on,
                    commission: commission.trim().to_owned(),
                }
            }
        };
        if out.is_empty() {
            Ok(checked)
        } else {
            Err(ClaimError::Invalid(out))
        }
    }
}

impl Claim {
    /// Puts the debtor's proceedings on this claim: a hold that stops collection (the
    /// scheduler skips the claim, escalation is refused) and, for over-indebtedness, interest
    /// frozen from the admissibility date. Nothing changes on a closed claim.
    pub fn apply_proceedings(
        &mut self,
        proceedings: &DebtorProceedings,
        now: Now,
    ) -> Vec<ClaimEvent> {
        if matches!(self.state, ClaimState::Closed(_)) {
            return Vec::new();
        }
        let mut events = Vec::new();
        self.expire_promise(now, &mut events);
        if let DebtorProceedings::OverIndebtedness { admissible_on, .. } = proceedings {
            let frozen = self
                .legal
                .interest_frozen_from
                .map_or(*admissible_on, |d| d.min(*admissible_on));
            self.legal.interest_frozen_from = Some(frozen);
        }
        self.debtor_hold = Some(proceedings.clone());
        events.push(ClaimEvent::DebtorProceedingsRecorded(proceedings.clone()));
        self.reschedule();
        self.updated_at = now.at;
        events
    }
}

fn date_str(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// The event payload (and the stored form) of proceedings.
pub fn payload(p: &DebtorProceedings) -> serde_json::Value {
    match p {
        DebtorProceedings::Insolvency {
            kind,
            opened_on,
            published_on,
            court,
            declaration_deadline,
        } => serde_json::json!({
            "kind": "insolvency",
            "proceedings": kind.as_str(),
            "opened_on": date_str(*opened_on),
            "published_on": date_str(*published_on),
            "court": court,
            "declaration_deadline": date_str(*declaration_deadline),
        }),
        DebtorProceedings::OverIndebtedness {
            admissible_on,
            commission,
        } => serde_json::json!({
            "kind": "over_indebtedness",
            "admissible_on": date_str(*admissible_on),
            "commission": commission,
        }),
    }
}

/// Reads back [`payload`]; `None` when it is not one.
pub fn from_payload(v: &serde_json::Value) -> Option<DebtorProceedings> {
    let date = |k: &str| {
        v.get(k)
            .and_then(|d| d.as_str())
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    };
    let text = |k: &str| v.get(k).and_then(|t| t.as_str()).map(str::to_owned);
    match v.get("kind")?.as_str()? {
        "insolvency" => Some(DebtorProceedings::Insolvency {
            kind: InsolvencyKind::parse(v.get("proceedings")?.as_str()?)?,
            opened_on: date("opened_on")?,
            published_on: date("published_on")?,
            court: text("court")?,
            declaration_deadline: date("declaration_deadline")?,
        }),
        "over_indebtedness" => Some(DebtorProceedings::OverIndebtedness {
            admissible_on: date("admissible_on")?,
            commission: text("commission")?,
        }),
        _ => None,
    }
}
