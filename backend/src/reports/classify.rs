//! Classification over the dictionary: which rule decides how time in an application or
//! site counts for a person. Rules are matched against the few thousand dictionary
//! entries per request, never against events, so a changed rule changes every report
//! at once and a report never runs a pattern per event.

use std::collections::HashMap;
use std::sync::OnceLock;

use pulse_shared::ids::{TeamId, UserId};
use pulse_shared::reports::{NewCategoryRule, Productivity, RuleField, RuleMatch};
use regex::{RegexSet, RegexSetBuilder};

use super::catalogue::CATALOGUE;

/// The most a compiled pattern may take; more is refused as too complex.
const PATTERN_SIZE_LIMIT: usize = 256 * 1024;

/// Whose rule decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Decider {
    Person,
    Team,
    Company,
    Catalogue,
    None,
}

impl Decider {
    pub fn as_str(self) -> &'static str {
        match self {
            Decider::Person => "person",
            Decider::Team => "team",
            Decider::Company => "company",
            Decider::Catalogue => "catalogue",
            Decider::None => "none",
        }
    }
}

/// How time in one application or site counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Class {
    pub productivity: Productivity,
    pub category: String,
    pub decided_by: Decider,
}

impl Class {
    /// Nothing matched.
    pub fn unclassified() -> Self {
        Self {
            productivity: Productivity::Neutral,
            category: UNCATEGORIZED.to_owned(),
            decided_by: Decider::None,
        }
    }
}

/// The category of what no rule matches.
pub const UNCATEGORIZED: &str = "Uncategorized";

/// The pattern of a rule as a regular expression over the whole name, ignoring case;
/// an error in the words of a person when it is not one.
pub fn pattern(matches: RuleMatch, pattern: &str) -> Result<String, String> {
    let pattern = pattern.trim();
    let whole = match matches {
        RuleMatch::Exact => regex::escape(pattern),
        RuleMatch::Wildcard => pattern
            .split('*')
            .map(regex::escape)
            .collect::<Vec<_>>()
            .join(".*"),
        RuleMatch::Regex => format!("(?:{pattern})"),
    };
    let whole = format!("^{whole}$");
    regex::RegexBuilder::new(&whole)
        .case_insensitive(true)
        .size_limit(PATTERN_SIZE_LIMIT)
        .build()
        .map(|_| whole)
        .map_err(|error| match error {
            regex::Error::CompiledTooBig(_) => "This pattern is too complex.".to_owned(),
            other => format!(
                "Not a regular expression: {}",
                first_line(&other.to_string())
            ),
        })
}

fn first_line(text: &str) -> &str {
    text.lines().last().unwrap_or(text).trim()
}

/// The rules of one level (a person's, a team's, the company's or the catalogue), ready
/// to match: within it a domain rule beats an app rule, an exact pattern a wildcard, a
/// wildcard a regular expression, and an older rule a newer one.
#[derive(Debug)]
pub struct Level {
    decider: Decider,
    classes: Vec<(Productivity, String)>,
    /// Lower-case name → the rule, per field.
    exact: [HashMap<String, usize>; 2],
    /// Wildcards then regular expressions, per field, with their rules.
    patterns: [Option<(RegexSet, Vec<usize>)>; 2],
}

fn field_index(field: RuleField) -> usize {
    match field {
        RuleField::Domain => 0,
        RuleField::App => 1,
    }
}

impl Level {
    /// `rules` in the order they were written.
    pub fn new<'a>(decider: Decider, rules: impl IntoIterator<Item = &'a NewCategoryRule>) -> Self {
        let mut level = Self {
            decider,
            classes: Vec::new(),
            exact: [HashMap::new(), HashMap::new()],
            patterns: [None, None],
        };
        let mut patterns: [Vec<(RuleMatch, String, usize)>; 2] = [Vec::new(), Vec::new()];
        for rule in rules {
            let index = level.classes.len();
            level
                .classes
                .push((rule.productivity, rule.category.trim().to_owned()));
            let field = field_index(rule.field);
            if rule.matches == RuleMatch::Exact {
                level.exact[field]
                    .entry(rule.pattern.trim().to_lowercase())
                    .or_insert(index);
            } else if let Ok(whole) = pattern(rule.matches, &rule.pattern) {
                patterns[field].push((rule.matches, whole, index));
            }
        }
        for (field, mut list) in patterns.into_iter().enumerate() {
            // Stable: wildcards first, each kind in the order written.
            list.sort_by_key(|(matches, _, _)| *matches);
            let set = RegexSetBuilder::new(list.iter().map(|(_, whole, _)| whole))
                .case_insensitive(true)
                .size_limit(PATTERN_SIZE_LIMIT * list.len().max(1))
                .build();
            if let Ok(set) = set
                && !list.is_empty()
            {
                level.patterns[field] =
                    Some((set, list.into_iter().map(|(_, _, index)| index).collect()));
            }
        }
        level
    }

    /// The built-in catalogue, compiled once.
    pub fn catalogue() -> &'static Level {
        static CATALOGUE_LEVEL: OnceLock<Level> = OnceLock::new();
        CATALOGUE_LEVEL.get_or_init(|| {
            let rules: Vec<NewCategoryRule> = CATALOGUE
                .iter()
                .map(
                    |(field, matches, pattern, productivity, category)| NewCategoryRule {
                        field: *field,
                        matches: *matches,
                        pattern: (*pattern).to_owned(),
                        productivity: *productivity,
                        category: (*category).to_owned(),
                        team_id: None,
                        user_id: None,
                    },
                )
                .collect();
            Level::new(Decider::Catalogue, &rules)
        })
    }

    /// The rule of this level that decides for `app` on `domain` (`""`: none).
    pub fn decide(&self, app: &str, domain: &str) -> Option<Class> {
        let names = [domain, app];
        let found = (0..2).find_map(|field| {
            let name = names[field];
            if name.is_empty() {
                return None;
            }
            self.exact[field]
                .get(&name.to_lowercase())
                .copied()
                .or_else(|| {
                    let (set, rules) = self.patterns[field].as_ref()?;
                    set.matches(name)
                        .iter()
                        .next()
                        .map(|position| rules[position])
                })
        })?;
        let (productivity, category) = self.classes.get(found)?;
        Some(Class {
            productivity: *productivity,
            category: category.clone(),
            decided_by: self.decider,
        })
    }
}

/// A company's rules at every level.
#[derive(Debug)]
pub struct Classifier {
    company: Level,
    teams: HashMap<TeamId, Level>,
    people: HashMap<UserId, Level>,
}

impl Classifier {
    /// `rules` of one company, in the order they were written.
    pub fn new(rules: &[NewCategoryRule]) -> Self {
        let company = Level::new(
            Decider::Company,
            rules
                .iter()
                .filter(|r| r.team_id.is_none() && r.user_id.is_none()),
        );
        let mut teams: HashMap<TeamId, Vec<&NewCategoryRule>> = HashMap::new();
        let mut people: HashMap<UserId, Vec<&NewCategoryRule>> = HashMap::new();
        for rule in rules {
            if let Some(person) = rule.user_id {
                people.entry(person).or_default().push(rule);
            } else if let Some(team) = rule.team_id {
                teams.entry(team).or_default().push(rule);
            }
        }
        Self {
            company,
            teams: teams
                .into_iter()
                .map(|(team, rules)| (team, Level::new(Decider::Team, rules)))
                .collect(),
            people: people
                .into_iter()
                .map(|(person, rules)| (person, Level::new(Decider::Person, rules)))
                .collect(),
        }
    }

    /// Whether a person's or their team's rules may decide differently from the
    /// company's.
    pub fn has_own_rules(&self, person: UserId, team: Option<TeamId>) -> bool {
        self.people.contains_key(&person) || team.is_some_and(|t| self.teams.contains_key(&t))
    }

    /// Whether `person` has rules of their own.
    pub fn has_person_rules(&self, person: UserId) -> bool {
        self.people.contains_key(&person)
    }

    /// How `app` on `domain` counts for `person` in `team` (both `None`: for the
    /// company).
    pub fn classify(
        &self,
        app: &str,
        domain: &str,
        person: Option<UserId>,
        team: Option<TeamId>,
    ) -> Class {
        let person_level = person.and_then(|id| self.people.get(&id));
        let team_level = team.and_then(|t| self.teams.get(&t));
        [
            person_level,
            team_level,
            Some(&self.company),
            Some(Level::catalogue()),
        ]
        .into_iter()
        .flatten()
        .find_map(|level| level.decide(app, domain))
        .unwrap_or_else(Class::unclassified)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pulse_shared::reports::Productivity::{Neutral, Productive, Unproductive};
    use uuid::Uuid;

    fn rule(
        field: RuleField,
        matches: RuleMatch,
        pattern: &str,
        p: Productivity,
    ) -> NewCategoryRule {
        NewCategoryRule {
            field,
            matches,
            pattern: pattern.to_owned(),
            productivity: p,
            category: "Test".to_owned(),
            team_id: None,
            user_id: None,
        }
    }

    #[test]
    fn the_catalogue_knows_common_apps_and_sites() {
        let none = Classifier::new(&[]);
        assert_eq!(
            none.classify("Code", "", None, None).productivity,
            Productive
        );
        assert_eq!(
            none.classify("jetbrains-idea", "", None, None).category,
            "Development"
        );
        assert_eq!(
            none.classify("firefox", "youtube.com", None, None)
                .productivity,
            Unproductive
        );
        assert_eq!(
            none.classify("firefox", "", None, None).category,
            "Browsing"
        );
        assert_eq!(
            none.classify("solitaire", "", None, None),
            Class::unclassified()
        );
    }

    #[test]
    fn person_beats_team_beats_company_beats_catalogue() {
        let (alice, bob, team) = (
            UserId(Uuid::from_u128(1)),
            UserId(Uuid::from_u128(2)),
            TeamId(Uuid::from_u128(3)),
        );
        let mut for_team = rule(RuleField::Domain, RuleMatch::Exact, "youtube.com", Neutral);
        for_team.team_id = Some(team);
        let mut for_alice = rule(
            RuleField::Domain,
            RuleMatch::Exact,
            "youtube.com",
            Productive,
        );
        for_alice.user_id = Some(alice);
        let company = rule(RuleField::App, RuleMatch::Exact, "code", Unproductive);
        let rules = Classifier::new(&[company, for_team, for_alice]);
        let youtube = |who, team| rules.classify("firefox", "youtube.com", Some(who), team);
        assert_eq!(youtube(alice, Some(team)).decided_by, Decider::Person);
        assert_eq!(youtube(bob, Some(team)).productivity, Neutral);
        assert_eq!(youtube(bob, None).decided_by, Decider::Catalogue);
        assert_eq!(
            rules.classify("code", "", None, None).productivity,
            Unproductive
        );
        assert!(rules.has_own_rules(bob, Some(team)));
        assert!(!rules.has_own_rules(bob, None));
    }

    #[test]
    fn within_a_level_the_most_specific_rule_wins() {
        let rules = Classifier::new(&[
            rule(RuleField::App, RuleMatch::Regex, "fire.*", Unproductive),
            rule(RuleField::App, RuleMatch::Wildcard, "FIRE*", Neutral),
            rule(
                RuleField::Domain,
                RuleMatch::Wildcard,
                "*.example.com",
                Productive,
            ),
        ]);
        assert_eq!(
            rules.classify("firefox", "", None, None).productivity,
            Neutral
        );
        assert_eq!(
            rules
                .classify("firefox", "docs.example.com", None, None)
                .productivity,
            Productive
        );
        // A regular expression must match the whole name.
        assert_eq!(
            rules.classify("campfire", "", None, None),
            Class::unclassified()
        );
    }

    #[test]
    fn bad_patterns_are_explained() {
        assert!(pattern(RuleMatch::Regex, "a(b").is_err());
        assert_eq!(
            pattern(RuleMatch::Wildcard, "a.*"),
            Ok("^a\\..*$".to_owned())
        );
        assert!(pattern(RuleMatch::Regex, "(a{1000}){1000}").is_err());
    }
}
