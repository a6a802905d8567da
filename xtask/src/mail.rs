//! The mail catcher of `cargo xtask run`: without `PULSE_SMTP_URL`, the local server
//! sends its e-mail here, and the terminal shows each message's recipient, subject and
//! links, so sign-ups, invitations and password resets can be followed locally. It runs
//! as a process of its own (`cargo xtask run` becomes the server) and ends with it.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::time::Duration;

/// Receives messages on `port` until process `server` ends.
pub fn catch(port: u16, server: u32) -> anyhow::Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    std::thread::spawn(move || {
        while Path::new(&format!("/proc/{server}")).exists() {
            std::thread::sleep(Duration::from_secs(1));
        }
        std::process::exit(0);
    });
    for stream in listener.incoming().flatten() {
        std::thread::spawn(move || {
            if let Ok(message) = receive(stream) {
                println!("{}", summary(&message));
            }
        });
    }
    Ok(())
}

/// One SMTP conversation; answers the message (headers and body) it carried.
fn receive(stream: TcpStream) -> std::io::Result<String> {
    let mut reply = stream.try_clone()?;
    let mut lines = BufReader::new(stream).lines();
    reply.write_all(b"220 pulse mail catcher\r\n")?;
    let mut message = String::new();
    while let Some(line) = lines.next() {
        let command = line?.to_uppercase();
        if command.starts_with("DATA") {
            reply.write_all(b"354 go on\r\n")?;
            for line in lines.by_ref() {
                let line = line?;
                if line == "." {
                    break;
                }
                message.push_str(&line);
                message.push('\n');
            }
        } else if command.starts_with("QUIT") {
            reply.write_all(b"221 bye\r\n")?;
            break;
        }
        reply.write_all(b"250 OK\r\n")?;
    }
    Ok(message)
}

/// What the terminal shows of a message: to whom, about what, and its links.
fn summary(message: &str) -> String {
    let header = |name: &str| {
        message
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .unwrap_or("?")
            .trim()
            .to_owned()
    };
    let mut out = format!("\n    e-mail to {}: {}", header("To:"), header("Subject:"));
    for link in message
        .split_whitespace()
        .filter(|word| word.starts_with("http://") || word.starts_with("https://"))
    {
        out.push_str("\n      ");
        out.push_str(link);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_is_summed_up_by_recipient_subject_and_links() {
        let message = "From: Pulse <no-reply@localhost>\nTo: ada@example.com\nSubject: [Pulse] Confirm your address\n\nOpen this link:\n\nhttp://127.0.0.1:8080/verify#secret\n";
        assert_eq!(
            summary(message),
            "\n    e-mail to ada@example.com: [Pulse] Confirm your address\n      http://127.0.0.1:8080/verify#secret"
        );
    }

    #[test]
    fn a_conversation_is_answered_and_its_message_kept() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let client = std::thread::spawn(move || {
            let mut stream = TcpStream::connect(address).unwrap();
            let mut answers = BufReader::new(stream.try_clone().unwrap()).lines();
            let mut say = |line: &str| {
                stream.write_all(format!("{line}\r\n").as_bytes()).unwrap();
            };
            let mut heard = vec![answers.next().unwrap().unwrap()];
            for line in ["EHLO me", "MAIL FROM:<a@b>", "RCPT TO:<c@d>", "DATA"] {
                say(line);
                heard.push(answers.next().unwrap().unwrap());
            }
            say("To: c@d\r\n\r\nhello\r\n.");
            heard.push(answers.next().unwrap().unwrap());
            say("QUIT");
            heard.push(answers.next().unwrap().unwrap());
            heard
        });
        let (stream, _) = listener.accept().unwrap();
        let message = receive(stream).unwrap();
        let heard = client.join().unwrap();
        assert_eq!(message, "To: c@d\n\nhello\n");
        assert_eq!(heard[4], "354 go on");
        assert_eq!(heard.last().unwrap(), "221 bye");
    }
}
