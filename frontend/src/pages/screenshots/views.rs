//! Who opened the signed-in person's screenshots, newest first.

use leptos::prelude::*;
use pulse_shared::PageQuery;
use pulse_shared::ids::ScreenshotId;
use pulse_shared::screenshots::ScreenshotView;

use super::VIEWS_PAGE;
use crate::api;
use crate::browser;
use crate::components::{Button, ButtonVariant, Card, CardActions, DataTable, Empty};
use crate::cursor_list::{CursorList, CursorListBody, LoadMore};
use crate::days;
use crate::format;
use crate::session::use_session;

/// Who opened the signed-in person's screenshots, newest first.
#[component]
pub(super) fn MyViewsCard() -> impl IntoView {
    let session = use_session();
    let list: CursorList<ScreenshotView, PageQuery> =
        CursorList::new(session, "views", |session, query| {
            Box::pin(async move { api::my_screenshot_views(session, &query).await })
        });
    list.load(PageQuery {
        cursor: None,
        limit: Some(VIEWS_PAGE),
    });
    view! {
        <Card
            title="Who viewed your screenshots"
            subtitle="Everyone else who opened one of your screenshots, newest first."
            flush=true
            {..}
            data-testid="my-screenshot-views"
        >
            <CardActions slot>
                <Button variant=ButtonVariant::Ghost on_click=move |_| list.reload() {..} data-testid="my-views-refresh">
                    "Refresh"
                </Button>
            </CardActions>
            <CursorListBody list=list title="Views" lines=3>
                <div class="table-scroll table-stack" class:is-refreshing=move || list.loading.get()>
                    <DataTable
                        columns=&["Viewer", "Role", "Opened", "Screenshot"]
                        is_empty=Signal::derive(move || list.rows.with(Vec::is_empty))
                        {..}
                        class:table-views=true
                    >
                        <Empty slot>"Nobody else has opened your screenshots."</Empty>
                        <For
                            each=move || list.rows.get()
                            key=|view| (view.screenshot_id, view.viewer_id, view.viewed_at)
                            let:view
                        >
                            {view_row(view)}
                        </For>
                    </DataTable>
                </div>
            </CursorListBody>
            <LoadMore list=list />
        </Card>
    }
}

pub(super) fn view_row(view: ScreenshotView) -> impl IntoView {
    let when = format::ago(view.viewed_at, browser::now());
    let exact = days::exact(view.viewed_at);
    let shot = short(view.screenshot_id);
    view! {
        <tr data-viewer-id=view.viewer_id.to_string() data-screenshot-id=view.screenshot_id.to_string()>
            <td class="cell-title cell-viewer">{view.viewer_name.clone()}</td>
            <td class="cell-role">{crate::pages::people::role_badge(view.viewer_role)}</td>
            <td class="cell-opened">
                <time title=exact datetime=view.viewed_at.to_rfc3339()>{when}</time>
            </td>
            <td class="mono cell-shot" data-label="Screenshot">{shot}</td>
        </tr>
    }
}

/// The first characters of an id, enough to tell screenshots apart.
pub(super) fn short(id: ScreenshotId) -> String {
    id.to_string().chars().take(8).collect()
}
