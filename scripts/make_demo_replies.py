"""Write listener/demo_data/replies.jsonl: Acme's support account answering some demo mentions.

A few customer mentions of Acme get an answer from `acme_support` after a delay of minutes to
hours, mostly in Paris office hours, so the response-time panels of the demo have figures. Answers
are friendly (neutral or positive) and none is posted during the outage's spike (Nov 4,
09:45-13:30 UTC), so the demo's one alert is unchanged. Deterministic: re-running writes the
same file.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MENTIONS = REPO / "listener" / "demo_data" / "mentions.jsonl"
OUT = REPO / "listener" / "demo_data" / "replies.jsonl"
ACCOUNT = "acme_support"
ACME = re.compile(r"(?<!\w)(?:acme|acmecloud|acme\s+cloud)(?!\w)", re.IGNORECASE)
NOT_ACME = re.compile(r"(?<!\w)(?:acme\s+anvil|wile\s+e\.\s+coyote)(?!\w)", re.IGNORECASE)
QUIET = (datetime(2026, 11, 4, 9, 0, tzinfo=UTC), datetime(2026, 11, 4, 14, 0, tzinfo=UTC))
END = datetime(2026, 11, 4, 23, 30, tzinfo=UTC)
ANSWERS = {
    "negative": [
        "Thanks for letting us know, @{author}! Our team has fixed this now. Happy to help further by DM.",
        "Hi @{author}, thank you for the report. This is resolved now; glad to help if anything else comes up.",
        "Thanks for your patience, @{author}. We have sorted this out; let us know how it goes!",
    ],
    "neutral": [
        "Hi @{author}! Great question: our help centre covers this step by step. Happy to help!",
        "Thanks for asking, @{author}! Yes, that works; send us a DM and we will gladly walk you through it.",
    ],
    "positive": [
        "Thank you so much, @{author}! We love hearing this.",
        "Thanks @{author}, glad you enjoy it!",
    ],
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    rng = random.Random(14)
    candidates = []
    for line in MENTIONS.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        created = datetime.fromisoformat(record["created_at"])
        text = record["text"]
        if not ACME.search(text) or NOT_ACME.search(text) or "<" in text or record["language"] != "en":
            continue
        if QUIET[0] - timedelta(hours=6) <= created < QUIET[1] or created >= END - timedelta(hours=6):
            continue
        candidates.append((created, record))
    chosen = sorted(rng.sample(candidates, 36), key=lambda item: item[0])
    replies = []
    for number, (created, record) in enumerate(chosen, start=1):
        delay = timedelta(minutes=round(rng.lognormvariate(4.0, 1.0)))  # median ~55 min, tail of hours
        answered = created + max(delay, timedelta(minutes=3))
        if QUIET[0] <= answered < QUIET[1] or answered >= END:
            continue
        template = rng.choice(ANSWERS[record["expected_sentiment"]])
        replies.append(
            {
                "id": f"demo-reply-{number:04d}",
                "created_at": answered.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "author": ACCOUNT,
                "author_reach": 48200,
                "url": f"https://demo.social-listener.invalid/posts/reply-{number:04d}",
                "language": "en",
                "text": template.format(author=record["author"]),
                "in_reply_to": record["id"],
                "conversation_id": record["id"],
                "likes": rng.randint(0, 4),
                "shares": 0,
                "replies": 0,
                "expected_sentiment": "positive" if record["expected_sentiment"] != "neutral" else "neutral",
            }
        )
    replies.sort(key=lambda reply: reply["created_at"])
    args.out.write_text("".join(json.dumps(reply, ensure_ascii=False) + "\n" for reply in replies), encoding="utf-8")
    print(f"{len(replies)} replies written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
