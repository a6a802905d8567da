//! Just enough of a Server-Sent Events reader for the alert stream: splits the bytes
//! into blocks (the lines up to a blank line) and says what each block is.

/// What one block of the alert stream is, as far as the benchmark cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Block {
    /// The greeting (`: open`): the stream is subscribed to new alerts.
    Open,
    /// `event: alert` with the recipient's sequence number as its `id`.
    Alert { id: i64 },
    /// `event: resync`: the server says alerts may have been missed.
    Resync,
    /// Anything else: keep-alive comments, unknown events.
    Other,
}

/// Bytes of one stream that have not yet made a whole block.
///
/// Rationale: one of these lives per open stream, so it keeps only the unfinished
/// tail of what was read (an alert is well under a kilobyte) and gives back a buffer
/// that an unusual block made large.
#[derive(Debug, Default)]
pub struct Reader {
    pending: Vec<u8>,
}

/// A buffer kept across blocks is shrunk back when it grew beyond this.
const KEEP_CAPACITY: usize = 4096;

impl Reader {
    /// Adds bytes read from the stream and calls `on_block` for each block they complete.
    pub fn push(&mut self, bytes: &[u8], mut on_block: impl FnMut(Block)) {
        self.pending.extend_from_slice(bytes);
        let mut start = 0;
        while let Some(end) = find_blank_line(&self.pending[start..]) {
            on_block(parse_block(&self.pending[start..start + end]));
            start += end + 2;
        }
        self.pending.drain(..start);
        if self.pending.is_empty() && self.pending.capacity() > KEEP_CAPACITY {
            self.pending = Vec::new();
        }
    }
}

/// Where the first `\n\n` starts.
fn find_blank_line(bytes: &[u8]) -> Option<usize> {
    bytes.windows(2).position(|pair| pair == b"\n\n")
}

/// Reads one block's lines (without the blank line that ends it).
pub fn parse_block(block: &[u8]) -> Block {
    let text = String::from_utf8_lossy(block);
    let mut event = None;
    let mut id = None;
    let mut open = false;
    for line in text.lines() {
        if let Some(comment) = line.strip_prefix(':') {
            open |= comment.trim() == "open";
            continue;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => event = Some(value.to_owned()),
            "id" => id = value.trim().parse::<i64>().ok(),
            _ => {}
        }
    }
    match (event.as_deref(), id) {
        (Some("alert"), Some(id)) => Block::Alert { id },
        (Some("resync"), _) => Block::Resync,
        (None, _) if open => Block::Open,
        _ => Block::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(chunks: &[&[u8]]) -> Vec<Block> {
        let mut reader = Reader::default();
        let mut blocks = Vec::new();
        for chunk in chunks {
            reader.push(chunk, |block| blocks.push(block));
        }
        blocks
    }

    #[test]
    fn reads_the_blocks_the_server_sends() {
        let stream: &[u8] = b"retry: 3000\n: open\n\nid: 7\nevent: alert\ndata: {\"seq\":7}\n\n: ping\n\nevent: resync\ndata: {}\n\n";
        assert_eq!(
            read_all(&[stream]),
            vec![
                Block::Open,
                Block::Alert { id: 7 },
                Block::Other,
                Block::Resync
            ]
        );
    }

    #[test]
    fn blocks_split_across_reads_are_joined() {
        let stream: &[u8] = b"retry: 3000\n: open\n\nid: 42\nevent: alert\ndata: {}\n\n";
        // Every split point, including inside the blank line that ends a block.
        for split in 0..stream.len() {
            let (head, tail) = stream.split_at(split);
            assert_eq!(
                read_all(&[head, tail]),
                vec![Block::Open, Block::Alert { id: 42 }],
                "split at {split}"
            );
        }
    }

    #[test]
    fn an_alert_without_a_readable_id_is_not_counted() {
        assert_eq!(parse_block(b"event: alert\ndata: {}"), Block::Other);
        assert_eq!(parse_block(b"id: x\nevent: alert"), Block::Other);
        assert_eq!(parse_block(b"id:5\nevent:alert"), Block::Alert { id: 5 });
    }
}
