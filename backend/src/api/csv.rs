//! CSV exports: fields quoted as RFC 4180 says, values a spreadsheet would run as a
//! formula defused, and the answer sent as a download.

use actix_web::HttpResponse;

/// Appends one line of `fields`.
pub fn push_line(csv: &mut String, fields: &[String]) {
    for (index, value) in fields.iter().enumerate() {
        if index > 0 {
            csv.push(',');
        }
        csv.push_str(&field(value));
    }
    csv.push('\n');
}

/// Quotes a CSV field, and defuses values a spreadsheet would run as a formula.
fn field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) || value.starts_with('\'') {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// `csv` as a file to save, named `name`.
pub fn attachment(name: &str, csv: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"{name}\""),
        ))
        .body(csv)
}

/// `pages` (chunks of CSV lines, the header first) as a file to save, named `name`,
/// sent as they come.
pub fn streamed_attachment<E>(
    name: &str,
    pages: impl futures_util::Stream<Item = Result<actix_web::web::Bytes, E>> + 'static,
) -> HttpResponse
where
    E: Into<Box<dyn std::error::Error>> + 'static,
{
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"{name}\""),
        ))
        .streaming(pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\"\n"), "\"say \"\"hi\"\"\n\"");
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("-1"), "\"'-1\"");
        let mut csv = String::new();
        push_line(&mut csv, &["a".into(), "b,c".into()]);
        assert_eq!(csv, "a,\"b,c\"\n");
    }
}
