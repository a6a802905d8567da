//! Tables exported as files: the same header and rows as CSV or as an Excel workbook,
//! sent as a download.

use actix_web::HttpResponse;
use rust_xlsxwriter::{Format, Workbook};

use super::csv;

/// The content type of an Excel workbook.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// One cell: text, or a number a spreadsheet can sum.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    Empty,
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Cell::Text(text)
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Cell::Text(text.to_owned())
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Self {
        // Exact: report figures stay far below 2^53.
        #[allow(clippy::cast_precision_loss)]
        Cell::Number(n as f64)
    }
}

impl From<u32> for Cell {
    fn from(n: u32) -> Self {
        Cell::Number(f64::from(n))
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(value: Option<T>) -> Self {
        value.map_or(Cell::Empty, Into::into)
    }
}

/// A header and its rows.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

/// The file types a table is exported as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Csv,
    Xlsx,
}

/// `table` as a file named `stem` plus the format's extension.
pub fn attachment(
    stem: &str,
    file_type: FileType,
    table: &Table,
) -> Result<HttpResponse, anyhow::Error> {
    match file_type {
        FileType::Csv => {
            let mut out = String::new();
            let header: Vec<String> = table.header.iter().map(|h| (*h).to_owned()).collect();
            csv::push_line(&mut out, &header);
            for row in &table.rows {
                let fields: Vec<String> = row
                    .iter()
                    .map(|cell| match cell {
                        Cell::Text(text) => text.clone(),
                        Cell::Number(n) => n.to_string(),
                        Cell::Empty => String::new(),
                    })
                    .collect();
                csv::push_line(&mut out, &fields);
            }
            Ok(csv::attachment(&format!("{stem}.csv"), out))
        }
        FileType::Xlsx => {
            let mut workbook = Workbook::new();
            let sheet = workbook.add_worksheet();
            let bold = Format::new().set_bold();
            for (column, name) in (0u16..).zip(&table.header) {
                sheet.write_with_format(0, column, *name, &bold)?;
                sheet.set_column_width(column, 14)?;
            }
            for (row, cells) in (1u32..).zip(&table.rows) {
                for (column, cell) in (0u16..).zip(cells) {
                    match cell {
                        Cell::Text(text) => sheet.write(row, column, text.as_str())?,
                        Cell::Number(n) => sheet.write(row, column, *n)?,
                        Cell::Empty => sheet,
                    };
                }
            }
            sheet.set_freeze_panes(1, 0)?;
            let bytes = workbook.save_to_buffer()?;
            Ok(HttpResponse::Ok()
                .content_type(XLSX)
                .insert_header((
                    "content-disposition",
                    format!("attachment; filename=\"{stem}.xlsx\""),
                ))
                .body(bytes))
        }
    }
}
