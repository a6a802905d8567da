//! Who may do what: one `role × action` table. Every permission check in the server
//! goes through [`access`]; the web app reads the same table to show only what a
//! role may use.

use crate::people::Role;

/// Something a principal may try to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    ReadCompany,
    UpdateCompany,
    DeleteCompany,
    TransferOwnership,
    ReadPeople,
    InvitePeople,
    /// Deactivate, reactivate, move between teams.
    UpdatePeople,
    ChangeRole,
    /// Make someone an owner, or stop them being one.
    GrantOwner,
    DeletePeople,
    /// Bring back a person deleted within the grace period, with what was recorded.
    RestorePeople,
    ReadTeams,
    ManageTeams,
    ManageApiKeys,
    ReadAudit,
    ManagePolicies,
    ManageBilling,
    /// Read one's own alerts, mark them read, choose which arrive.
    ReadAlerts,
    /// Register webhook endpoints, read their delivery log, replay deliveries.
    ManageWebhooks,
    /// See agents and their state.
    ReadAgents,
    /// Create and revoke enrollment tokens; revoke agents.
    ManageAgents,
    /// See activity, work sessions and screenshots.
    ReadActivity,
    /// Delete screenshots (others than admins: their own, where their policy allows).
    DeleteScreenshots,
    /// See who opened a screenshot (others than admins: of their own screenshots).
    ReadScreenshotViews,
    /// See the rules that classify applications and sites (managers: the company's
    /// and their teams' and people's).
    ReadCategoryRules,
    /// Write, change and delete those rules.
    ManageCategoryRules,
    /// Receive scheduled report e-mails about the people one may see.
    ReceiveReportEmails,
    /// Export a person's data (profile, activity, sessions, screenshots, their views,
    /// audit events about them) and download the archive: everyone their own, owners and
    /// admins anyone's in the company.
    ExportPersonalData,
}

/// How far a permission reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reach {
    /// Not at all.
    None,
    /// The principal's own records only.
    Own,
    /// The people of the teams the principal manages (and themself).
    Teams,
    /// The whole company.
    Company,
}

use Action as A;
use Reach::{Company as C, None as N, Own as O, Teams as T};

/// The table: for each action, the reach of OWNER, ADMIN, MANAGER, EMPLOYEE.
const TABLE: &[(Action, [Reach; 4])] = &[
    (A::ReadCompany, [C, C, C, C]),
    (A::UpdateCompany, [C, C, N, N]),
    (A::DeleteCompany, [C, N, N, N]),
    (A::TransferOwnership, [C, N, N, N]),
    (A::ReadPeople, [C, C, T, O]),
    (A::InvitePeople, [C, C, T, N]),
    (A::UpdatePeople, [C, C, T, N]),
    (A::ChangeRole, [C, C, N, N]),
    (A::GrantOwner, [C, N, N, N]),
    (A::DeletePeople, [C, C, N, N]),
    (A::RestorePeople, [C, N, N, N]),
    (A::ReadTeams, [C, C, T, O]),
    (A::ManageTeams, [C, C, N, N]),
    (A::ManageApiKeys, [C, C, N, N]),
    (A::ReadAudit, [C, C, N, N]),
    (A::ManagePolicies, [C, C, N, N]),
    (A::ManageBilling, [C, C, N, N]),
    (A::ReadAlerts, [O, O, O, O]),
    (A::ManageWebhooks, [C, C, N, N]),
    (A::ReadAgents, [C, C, T, O]),
    (A::ManageAgents, [C, C, N, N]),
    (A::ReadActivity, [C, C, T, O]),
    (A::DeleteScreenshots, [C, C, O, O]),
    (A::ReadScreenshotViews, [C, C, O, O]),
    (A::ReadCategoryRules, [C, C, T, N]),
    (A::ManageCategoryRules, [C, C, N, N]),
    (A::ReceiveReportEmails, [C, C, T, N]),
    (A::ExportPersonalData, [C, C, O, O]),
];

/// How far `role` may do `action`.
pub fn access(role: Role, action: Action) -> Reach {
    let column = match role {
        Role::Owner => 0,
        Role::Admin => 1,
        Role::Manager => 2,
        Role::Employee => 3,
    };
    TABLE
        .iter()
        .find(|(a, _)| *a == action)
        .map_or(Reach::None, |(_, reaches)| reaches[column])
}

/// Whether `role` may do `action` at all.
pub fn allows(role: Role, action: Action) -> bool {
    access(role, action) != Reach::None
}

#[cfg(test)]
mod tests {
    use super::*;
    use Role::{Admin, Employee, Manager, Owner};

    /// Every cell, written out as a sentence of the design: change the table and one of
    /// these fails, with the cell named.
    #[test]
    fn every_cell_is_as_designed() {
        #[rustfmt::skip]
        let cells: &[(Role, Action, Reach)] = &[
            (Owner, A::ReadCompany, C), (Admin, A::ReadCompany, C), (Manager, A::ReadCompany, C), (Employee, A::ReadCompany, C),
            (Owner, A::UpdateCompany, C), (Admin, A::UpdateCompany, C), (Manager, A::UpdateCompany, N), (Employee, A::UpdateCompany, N),
            (Owner, A::DeleteCompany, C), (Admin, A::DeleteCompany, N), (Manager, A::DeleteCompany, N), (Employee, A::DeleteCompany, N),
            (Owner, A::TransferOwnership, C), (Admin, A::TransferOwnership, N), (Manager, A::TransferOwnership, N), (Employee, A::TransferOwnership, N),
            (Owner, A::ReadPeople, C), (Admin, A::ReadPeople, C), (Manager, A::ReadPeople, T), (Employee, A::ReadPeople, O),
            (Owner, A::InvitePeople, C), (Admin, A::InvitePeople, C), (Manager, A::InvitePeople, T), (Employee, A::InvitePeople, N),
            (Owner, A::UpdatePeople, C), (Admin, A::UpdatePeople, C), (Manager, A::UpdatePeople, T), (Employee, A::UpdatePeople, N),
            (Owner, A::ChangeRole, C), (Admin, A::ChangeRole, C), (Manager, A::ChangeRole, N), (Employee, A::ChangeRole, N),
            (Owner, A::GrantOwner, C), (Admin, A::GrantOwner, N), (Manager, A::GrantOwner, N), (Employee, A::GrantOwner, N),
            (Owner, A::DeletePeople, C), (Admin, A::DeletePeople, C), (Manager, A::DeletePeople, N), (Employee, A::DeletePeople, N),
            (Owner, A::RestorePeople, C), (Admin, A::RestorePeople, N), (Manager, A::RestorePeople, N), (Employee, A::RestorePeople, N),
            (Owner, A::ReadTeams, C), (Admin, A::ReadTeams, C), (Manager, A::ReadTeams, T), (Employee, A::ReadTeams, O),
            (Owner, A::ManageTeams, C), (Admin, A::ManageTeams, C), (Manager, A::ManageTeams, N), (Employee, A::ManageTeams, N),
            (Owner, A::ManageApiKeys, C), (Admin, A::ManageApiKeys, C), (Manager, A::ManageApiKeys, N), (Employee, A::ManageApiKeys, N),
            (Owner, A::ReadAudit, C), (Admin, A::ReadAudit, C), (Manager, A::ReadAudit, N), (Employee, A::ReadAudit, N),
            (Owner, A::ManagePolicies, C), (Admin, A::ManagePolicies, C), (Manager, A::ManagePolicies, N), (Employee, A::ManagePolicies, N),
            (Owner, A::ManageBilling, C), (Admin, A::ManageBilling, C), (Manager, A::ManageBilling, N), (Employee, A::ManageBilling, N),
            (Owner, A::ReadAlerts, O), (Admin, A::ReadAlerts, O), (Manager, A::ReadAlerts, O), (Employee, A::ReadAlerts, O),
            (Owner, A::ManageWebhooks, C), (Admin, A::ManageWebhooks, C), (Manager, A::ManageWebhooks, N), (Employee, A::ManageWebhooks, N),
            (Owner, A::ReadAgents, C), (Admin, A::ReadAgents, C), (Manager, A::ReadAgents, T), (Employee, A::ReadAgents, O),
            (Owner, A::ManageAgents, C), (Admin, A::ManageAgents, C), (Manager, A::ManageAgents, N), (Employee, A::ManageAgents, N),
            (Owner, A::ReadActivity, C), (Admin, A::ReadActivity, C), (Manager, A::ReadActivity, T), (Employee, A::ReadActivity, O),
            (Owner, A::DeleteScreenshots, C), (Admin, A::DeleteScreenshots, C), (Manager, A::DeleteScreenshots, O), (Employee, A::DeleteScreenshots, O),
            (Owner, A::ReadScreenshotViews, C), (Admin, A::ReadScreenshotViews, C), (Manager, A::ReadScreenshotViews, O), (Employee, A::ReadScreenshotViews, O),
            (Owner, A::ReadCategoryRules, C), (Admin, A::ReadCategoryRules, C), (Manager, A::ReadCategoryRules, T), (Employee, A::ReadCategoryRules, N),
            (Owner, A::ManageCategoryRules, C), (Admin, A::ManageCategoryRules, C), (Manager, A::ManageCategoryRules, N), (Employee, A::ManageCategoryRules, N),
            (Owner, A::ReceiveReportEmails, C), (Admin, A::ReceiveReportEmails, C), (Manager, A::ReceiveReportEmails, T), (Employee, A::ReceiveReportEmails, N),
            (Owner, A::ExportPersonalData, C), (Admin, A::ExportPersonalData, C), (Manager, A::ExportPersonalData, O), (Employee, A::ExportPersonalData, O),
        ];
        for (role, action, reach) in cells {
            assert_eq!(access(*role, *action), *reach, "{role:?} × {action:?}");
        }
        assert_eq!(
            cells.len(),
            TABLE.len() * Role::ALL.len(),
            "every cell is checked"
        );
    }

    #[test]
    fn the_table_lists_each_action_once() {
        for (index, (action, _)) in TABLE.iter().enumerate() {
            assert!(
                !TABLE[index + 1..].iter().any(|(other, _)| other == action),
                "{action:?} twice"
            );
        }
    }

    #[test]
    fn no_role_reaches_further_than_a_more_powerful_one() {
        for (action, reaches) in TABLE {
            assert!(
                reaches.windows(2).all(|pair| pair[0] >= pair[1]),
                "{action:?}: {reaches:?}"
            );
        }
    }
}
