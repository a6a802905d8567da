//! What the made-up company works in: applications and sites (many in the server's
//! built-in catalogue, some not), which teams use which kind of them, and the company's
//! category rules (exact, wildcard and regular-expression patterns; a few for one team
//! or one person).

use pulse_shared::reports::Productivity::{Neutral, Productive, Unproductive};
use pulse_shared::reports::RuleField::{App, Domain};
use pulse_shared::reports::RuleMatch::{Exact, Regex, Wildcard};
use pulse_shared::reports::{Productivity, RuleField, RuleMatch};

/// What an application or site is for, which decides who uses it and how much they
/// type and click in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Development,
    Communication,
    Meetings,
    Office,
    Design,
    Sales,
    Support,
    Finance,
    People,
    Marketing,
    Reference,
    Distraction,
    System,
}

impl Kind {
    /// Key presses and mouse events per active second, on average.
    pub fn input_rates(self) -> (f64, f64) {
        match self {
            Kind::Development => (2.2, 0.8),
            Kind::Communication => (1.8, 0.8),
            Kind::Meetings => (0.05, 0.1),
            Kind::Office => (1.4, 1.2),
            Kind::Design => (0.3, 2.5),
            Kind::Sales | Kind::People => (1.0, 1.4),
            Kind::Support => (1.6, 1.2),
            Kind::Finance => (1.2, 1.4),
            Kind::Marketing => (0.8, 1.8),
            Kind::Reference | Kind::System => (0.3, 1.5),
            Kind::Distraction => (0.1, 1.2),
        }
    }
}

use Kind::{
    Communication as Comms, Design as Des, Development as Dev, Distraction as Fun, Finance as Fin,
    Marketing as Mkt, Meetings as Meet, Office as Off, People as Ppl, Reference as Ref,
    Sales as Sal, Support as Sup, System as Sys,
};

/// Applications (without a site): name, kind, how popular within its kind.
pub const APPS: &[(&str, Kind, u32)] = &[
    ("code", Dev, 40),
    ("jetbrains-idea", Dev, 15),
    ("jetbrains-pycharm", Dev, 10),
    ("rustrover", Dev, 6),
    ("goland", Dev, 5),
    ("nvim", Dev, 6),
    ("vim", Dev, 4),
    ("emacs", Dev, 2),
    ("gnome-terminal", Dev, 20),
    ("alacritty", Dev, 6),
    ("kitty", Dev, 5),
    ("konsole", Dev, 3),
    ("postman", Dev, 6),
    ("dbeaver", Dev, 6),
    ("docker desktop", Dev, 4),
    ("android-studio", Dev, 4),
    ("gitkraken", Dev, 3),
    ("insomnia", Dev, 2),
    ("wireshark", Dev, 2),
    ("rstudio", Dev, 3),
    ("slack", Comms, 50),
    ("teams", Comms, 15),
    ("discord", Comms, 4),
    ("thunderbird", Comms, 15),
    ("outlook", Comms, 20),
    ("signal", Comms, 2),
    ("telegram-desktop", Comms, 2),
    ("zoom", Meet, 30),
    ("skype", Meet, 3),
    ("libreoffice-writer", Off, 12),
    ("libreoffice-calc", Off, 15),
    ("libreoffice-impress", Off, 6),
    ("winword", Off, 10),
    ("excel", Off, 14),
    ("powerpnt", Off, 6),
    ("onenote", Off, 4),
    ("evince", Off, 6),
    ("okular", Off, 3),
    ("acrobat", Off, 5),
    ("obsidian", Off, 4),
    ("keepassxc", Sys, 3),
    ("figma", Des, 30),
    ("gimp", Des, 8),
    ("inkscape", Des, 8),
    ("blender", Des, 4),
    ("photoshop", Des, 10),
    ("illustrator", Des, 8),
    ("tableau", Fin, 6),
    ("datev", Fin, 10),
    ("sap-gui", Fin, 8),
    ("nautilus", Sys, 10),
    ("dolphin", Sys, 3),
    ("gnome-control-center", Sys, 2),
    ("remmina", Sys, 3),
    ("spotify", Fun, 10),
    ("steam", Fun, 1),
    ("vlc", Fun, 3),
];

/// Browsers, with the share of people who use each: a person's sites are recorded
/// with their browser.
pub const BROWSERS: &[(&str, u32)] = &[
    ("firefox", 45),
    ("google-chrome", 40),
    ("msedge", 10),
    ("brave", 5),
];

/// Sites: domain, kind, how popular within its kind.
pub const SITES: &[(&str, Kind, u32)] = &[
    ("github.com", Dev, 40),
    ("gitlab.com", Dev, 10),
    ("bitbucket.org", Dev, 3),
    ("stackoverflow.com", Dev, 20),
    ("unix.stackexchange.com", Dev, 4),
    ("serverfault.com", Dev, 3),
    ("docs.rs", Dev, 8),
    ("crates.io", Dev, 3),
    ("developer.mozilla.org", Dev, 8),
    ("doc.rust-lang.org", Dev, 5),
    ("pypi.org", Dev, 4),
    ("npmjs.com", Dev, 4),
    ("go.dev", Dev, 3),
    ("kubernetes.io", Dev, 4),
    ("hub.docker.com", Dev, 4),
    ("console.aws.amazon.com", Dev, 8),
    ("portal.azure.com", Dev, 4),
    ("console.cloud.google.com", Dev, 4),
    ("sentry.io", Dev, 5),
    ("app.datadoghq.com", Dev, 4),
    ("grafana.acme.internal", Dev, 6),
    ("ci.acme.internal", Dev, 6),
    ("vercel.com", Dev, 2),
    ("learn.microsoft.com", Dev, 4),
    ("regex101.com", Dev, 2),
    ("jwt.io", Dev, 1),
    ("acme.atlassian.net", Off, 30),
    ("linear.app", Off, 6),
    ("trello.com", Off, 5),
    ("app.asana.com", Off, 5),
    ("notion.so", Off, 12),
    ("miro.com", Off, 8),
    ("lucid.app", Off, 3),
    ("docs.google.com", Off, 25),
    ("sheets.google.com", Off, 10),
    ("drive.google.com", Off, 12),
    ("acme.sharepoint.com", Off, 12),
    ("office.com", Off, 6),
    ("translate.google.com", Off, 4),
    ("deepl.com", Off, 5),
    ("chatgpt.com", Ref, 10),
    ("claude.ai", Ref, 6),
    ("mail.google.com", Comms, 25),
    ("outlook.office.com", Comms, 20),
    ("outlook.live.com", Comms, 2),
    ("app.slack.com", Comms, 6),
    ("teams.microsoft.com", Comms, 6),
    ("web.whatsapp.com", Comms, 5),
    ("web.telegram.org", Comms, 1),
    ("meet.google.com", Meet, 20),
    ("acme.zoom.us", Meet, 10),
    ("calendar.google.com", Meet, 15),
    ("calendly.com", Meet, 3),
    ("whereby.com", Meet, 2),
    ("loom.com", Meet, 3),
    ("figma.com", Des, 25),
    ("canva.com", Des, 8),
    ("dribbble.com", Des, 4),
    ("behance.net", Des, 3),
    ("unsplash.com", Des, 4),
    ("fonts.google.com", Des, 3),
    ("acme.my.salesforce.com", Sal, 40),
    ("app.hubspot.com", Sal, 25),
    ("linkedin.com", Sal, 20),
    ("xing.com", Sal, 4),
    ("app.gong.io", Sal, 6),
    ("pipedrive.com", Sal, 5),
    ("acme.zendesk.com", Sup, 40),
    ("app.intercom.com", Sup, 20),
    ("status.acme.com", Sup, 5),
    ("acme.freshdesk.com", Sup, 5),
    ("dashboard.stripe.com", Fin, 15),
    ("app.datev.de", Fin, 10),
    ("lexoffice.de", Fin, 6),
    ("sevdesk.de", Fin, 3),
    ("paypal.com", Fin, 5),
    ("online.commerzbank.de", Fin, 4),
    ("n26.com", Fin, 2),
    ("acme.personio.de", Ppl, 40),
    ("glassdoor.com", Ppl, 5),
    ("indeed.com", Ppl, 6),
    ("stepstone.de", Ppl, 6),
    ("kununu.com", Ppl, 4),
    ("lattice.com", Ppl, 3),
    ("analytics.google.com", Mkt, 15),
    ("ads.google.com", Mkt, 10),
    ("business.facebook.com", Mkt, 10),
    ("mailchimp.com", Mkt, 8),
    ("semrush.com", Mkt, 6),
    ("acme.webflow.io", Mkt, 8),
    ("wordpress.com", Mkt, 4),
    ("typeform.com", Mkt, 3),
    ("surveymonkey.com", Mkt, 2),
    ("medium.com", Mkt, 4),
    ("substack.com", Mkt, 2),
    ("producthunt.com", Mkt, 2),
    ("google.com", Ref, 30),
    ("bing.com", Ref, 3),
    ("duckduckgo.com", Ref, 6),
    ("en.wikipedia.org", Ref, 8),
    ("de.wikipedia.org", Ref, 5),
    ("maps.google.com", Ref, 3),
    ("dev.to", Ref, 3),
    ("heise.de", Ref, 4),
    ("golem.de", Ref, 3),
    ("bahn.de", Ref, 3),
    ("lufthansa.com", Ref, 2),
    ("booking.com", Ref, 2),
    ("wetter.com", Ref, 2),
    ("dict.leo.org", Ref, 2),
    ("facebook.com", Fun, 6),
    ("instagram.com", Fun, 6),
    ("x.com", Fun, 6),
    ("twitter.com", Fun, 2),
    ("tiktok.com", Fun, 3),
    ("reddit.com", Fun, 8),
    ("old.reddit.com", Fun, 2),
    ("pinterest.com", Fun, 2),
    ("youtube.com", Fun, 15),
    ("m.youtube.com", Fun, 1),
    ("netflix.com", Fun, 1),
    ("twitch.tv", Fun, 2),
    ("open.spotify.com", Fun, 4),
    ("soundcloud.com", Fun, 1),
    ("disneyplus.com", Fun, 1),
    ("9gag.com", Fun, 1),
    ("imdb.com", Fun, 2),
    ("chess.com", Fun, 2),
    ("amazon.com", Fun, 3),
    ("amazon.de", Fun, 8),
    ("ebay.com", Fun, 1),
    ("ebay.de", Fun, 4),
    ("aliexpress.com", Fun, 1),
    ("zalando.de", Fun, 3),
    ("otto.de", Fun, 2),
    ("idealo.de", Fun, 2),
    ("airbnb.com", Fun, 1),
    ("news.ycombinator.com", Fun, 5),
    ("cnn.com", Fun, 1),
    ("bbc.com", Fun, 2),
    ("bbc.co.uk", Fun, 1),
    ("spiegel.de", Fun, 6),
    ("zeit.de", Fun, 3),
    ("faz.net", Fun, 2),
    ("sueddeutsche.de", Fun, 2),
    ("tagesschau.de", Fun, 4),
    ("bild.de", Fun, 2),
    ("kicker.de", Fun, 3),
    ("transfermarkt.de", Fun, 1),
    ("mydealz.de", Fun, 2),
];

/// How much of each kind everyone uses, before their team's own kinds.
const COMMON: &[(Kind, u32)] = &[
    (Comms, 15),
    (Meet, 8),
    (Off, 6),
    (Ref, 5),
    (Fun, 4),
    (Sys, 2),
];

/// The teams: name and the kinds its people use on top of [`COMMON`].
pub const TEAMS: &[(&str, &[(Kind, u32)])] = &[
    ("Platform", &[(Dev, 45)]),
    ("Backend", &[(Dev, 45)]),
    ("Frontend", &[(Dev, 40), (Des, 6)]),
    ("Mobile", &[(Dev, 40), (Des, 4)]),
    ("Data", &[(Dev, 30), (Off, 10), (Fin, 4)]),
    ("Quality", &[(Dev, 30), (Sup, 5)]),
    ("Infrastructure", &[(Dev, 40), (Sys, 8)]),
    ("Security", &[(Dev, 35), (Sys, 8)]),
    ("Design", &[(Des, 40), (Off, 4)]),
    ("Product", &[(Off, 15), (Meet, 12), (Dev, 5), (Des, 5)]),
    ("Sales EMEA", &[(Sal, 35), (Meet, 10)]),
    ("Sales Americas", &[(Sal, 35), (Meet, 10)]),
    ("Customer Success", &[(Sup, 20), (Sal, 10), (Meet, 6)]),
    ("Support", &[(Sup, 40)]),
    ("Marketing", &[(Mkt, 35), (Des, 8)]),
    ("Finance", &[(Fin, 35), (Off, 15)]),
    ("People", &[(Ppl, 35), (Off, 10)]),
    ("Legal", &[(Off, 35)]),
    ("Operations", &[(Off, 15), (Fin, 10), (Sal, 5)]),
    ("IT", &[(Dev, 15), (Sys, 15), (Sup, 10)]),
];

/// How much a team uses `kind`, relative to its other kinds.
pub fn team_weight(team: usize, kind: Kind) -> u32 {
    let own = TEAMS
        .get(team)
        .map_or(0, |(_, kinds)| weight_of(kinds, kind));
    own + weight_of(COMMON, kind)
}

fn weight_of(kinds: &[(Kind, u32)], kind: Kind) -> u32 {
    kinds
        .iter()
        .filter(|(k, _)| *k == kind)
        .map(|(_, weight)| weight)
        .sum()
}

/// One entry of the dictionary: an application, with a site for browsers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub app: &'static str,
    /// `""` for none.
    pub domain: &'static str,
    pub kind: Kind,
    pub popularity: u32,
    /// Which browser of [`BROWSERS`] shows the site; `None` for an application.
    pub browser: Option<usize>,
}

/// Every application, each browser on its own (a blank page), and every site in every
/// browser: the entries people can use. Only those someone uses are stored.
pub fn entries() -> Vec<Entry> {
    let mut all: Vec<Entry> = APPS
        .iter()
        .map(|&(app, kind, popularity)| Entry {
            app,
            domain: "",
            kind,
            popularity,
            browser: None,
        })
        .collect();
    for (index, &(browser, _)) in BROWSERS.iter().enumerate() {
        all.push(Entry {
            app: browser,
            domain: "",
            kind: Ref,
            popularity: 4,
            browser: Some(index),
        });
        for &(domain, kind, popularity) in SITES {
            all.push(Entry {
                app: browser,
                domain,
                kind,
                popularity,
                browser: Some(index),
            });
        }
    }
    all
}

/// A category rule of the company: field, match, pattern, productivity, category, and
/// whom it is for (`None`: everyone).
pub type Rule = (
    RuleField,
    RuleMatch,
    &'static str,
    Productivity,
    &'static str,
    Scope,
);

/// Whom a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Company,
    /// The team of [`TEAMS`] at this index.
    Team(usize),
    /// The employee `Simulated {n}`.
    Person(u32),
}

/// The company's rules: names the catalogue does not know, a few it classifies
/// otherwise, and a few for one team or one person.
pub const RULES: &[Rule] = &[
    (
        App,
        Exact,
        "rstudio",
        Productive,
        "Development",
        Scope::Company,
    ),
    (
        App,
        Exact,
        "gitkraken",
        Productive,
        "Development",
        Scope::Company,
    ),
    (
        App,
        Exact,
        "insomnia",
        Productive,
        "Development",
        Scope::Company,
    ),
    (
        App,
        Exact,
        "wireshark",
        Productive,
        "Development",
        Scope::Company,
    ),
    (App, Exact, "obsidian", Productive, "Office", Scope::Company),
    (App, Exact, "keepassxc", Neutral, "System", Scope::Company),
    (App, Exact, "remmina", Productive, "System", Scope::Company),
    (App, Exact, "tableau", Productive, "Finance", Scope::Company),
    (
        App,
        Regex,
        "datev|sap-gui",
        Productive,
        "Finance",
        Scope::Company,
    ),
    (
        App,
        Exact,
        "discord",
        Unproductive,
        "Social media",
        Scope::Company,
    ),
    (
        Domain,
        Wildcard,
        "*.acme.internal",
        Productive,
        "Development",
        Scope::Company,
    ),
    (
        Domain,
        Wildcard,
        "console.*",
        Productive,
        "Development",
        Scope::Company,
    ),
    (
        Domain,
        Exact,
        "sentry.io",
        Productive,
        "Development",
        Scope::Company,
    ),
    (
        Domain,
        Exact,
        "app.datadoghq.com",
        Productive,
        "Development",
        Scope::Company,
    ),
    (
        Domain,
        Wildcard,
        "*.salesforce.com",
        Productive,
        "Sales",
        Scope::Company,
    ),
    (
        Domain,
        Exact,
        "app.hubspot.com",
        Productive,
        "Sales",
        Scope::Company,
    ),
    (
        Domain,
        Exact,
        "app.gong.io",
        Productive,
        "Sales",
        Scope::Company,
    ),
    (
        Domain,
        Wildcard,
        "*.zendesk.com",
        Productive,
        "Support",
        Scope::Company,
    ),
    (
        Domain,
        Exact,
        "app.intercom.com",
        Productive,
        "Support",
        Scope::Company,
    ),
    (
        Domain,
        Exact,
        "dashboard.stripe.com",
        Productive,
        "Finance",
        Scope::Company,
    ),
    (
        Domain,
        Regex,
        "(app\\.datev|lexoffice|sevdesk)\\.de",
        Productive,
        "Finance",
        Scope::Company,
    ),
    (
        Domain,
        Wildcard,
        "*.personio.de",
        Productive,
        "People",
        Scope::Company,
    ),
    (
        Domain,
        Regex,
        "(chatgpt\\.com|claude\\.ai)",
        Neutral,
        "AI assistants",
        Scope::Company,
    ),
    (
        Domain,
        Regex,
        "(spiegel|zeit|sueddeutsche|tagesschau|bild|kicker)\\.de|faz\\.net",
        Unproductive,
        "News",
        Scope::Company,
    ),
    (
        Domain,
        Regex,
        "(amazon|ebay|zalando|otto|idealo)\\.de",
        Unproductive,
        "Shopping",
        Scope::Company,
    ),
    (
        Domain,
        Exact,
        "linkedin.com",
        Productive,
        "Prospecting",
        Scope::Team(10),
    ),
    (
        Domain,
        Exact,
        "linkedin.com",
        Productive,
        "Prospecting",
        Scope::Team(11),
    ),
    (
        Domain,
        Wildcard,
        "*facebook.com",
        Productive,
        "Marketing",
        Scope::Team(14),
    ),
    (
        Domain,
        Exact,
        "instagram.com",
        Productive,
        "Marketing",
        Scope::Team(14),
    ),
    (
        Domain,
        Exact,
        "youtube.com",
        Productive,
        "Marketing",
        Scope::Person(34),
    ),
    (App, Exact, "spotify", Neutral, "Music", Scope::Person(3)),
];

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn the_dictionary_is_realistic_in_size_and_has_no_duplicates() {
        assert!((55..=65).contains(&APPS.len()), "{} apps", APPS.len());
        assert!((140..=160).contains(&SITES.len()), "{} sites", SITES.len());
        let all = entries();
        let distinct: HashSet<(&str, &str)> = all.iter().map(|e| (e.app, e.domain)).collect();
        assert_eq!(distinct.len(), all.len());
        assert_eq!(TEAMS.len(), 20);
        assert!((28..=35).contains(&RULES.len()));
    }

    #[test]
    fn rules_name_teams_that_exist_and_their_patterns_compile() {
        for rule in RULES {
            if let Scope::Team(team) = rule.5 {
                assert!(team < TEAMS.len());
            }
            pulse_backend::reports::classify::pattern(rule.1, rule.2)
                .unwrap_or_else(|why| panic!("{}: {why}", rule.2));
        }
        assert_eq!(TEAMS[10].0, "Sales EMEA");
        assert_eq!(TEAMS[14].0, "Marketing");
    }

    #[test]
    fn every_team_uses_its_own_kinds_most() {
        assert!(team_weight(0, Dev) > team_weight(0, Sal));
        assert!(team_weight(13, Sup) > team_weight(13, Dev));
        assert!(team_weight(3, Fun) > 0);
    }
}
