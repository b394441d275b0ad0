#!/usr/bin/env python3
"""Generate the bundled demo dataset: listener/demo_data/mentions.jsonl.

Three days (2026-11-02T00:00Z to 2026-11-05T00:00Z) of synthetic but realistic social mentions of
two cloud brands, "Acme" and "Globex", which the built-in `demo` source replays in accelerated
time. The data has daily seasonality, Poisson noise, and exactly one negative spike: an Acme
outage starting 2026-11-04T10:00Z, peaking 10:15-11:00 and back to baseline by about 13:00.
Outside the outage each brand's negative count per 15-minute window is a Poisson draw truncated
at QUIET_NEGATIVE_CAP (below the detector's default `min_count` of 5), so no unlucky tail draw
makes a quiet day page anyone.

Texts are built combinatorially from template fragments in five languages (about 80% English),
with emoji, hashtags, @handles, links, typos, a few long forum posts, retweet-style copies, ~2%
brand-like noise that must not match any brand, and a handful of hostile (XSS / Slack-injection)
payloads embedded in ordinary posts, as attacker-controlled data would be.

Standard library only, seeded and deterministic: running it twice writes byte-identical files.

    python scripts/make_demo_data.py            # writes the packaged file and prints a summary
    python scripts/make_demo_data.py --out x.jsonl --quiet
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import string
import sys
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import median

SEED = 20261102
START = datetime(2026, 11, 2, tzinfo=UTC)
END = datetime(2026, 11, 5, tzinfo=UTC)
WINDOW_MINUTES = 15
MINUTES = int((END - START).total_seconds() // 60)
WINDOWS = MINUTES // WINDOW_MINUTES

OUTAGE_START = datetime(2026, 11, 4, 10, tzinfo=UTC)
OUTAGE_MINUTE = int((OUTAGE_START - START).total_seconds() // 60)
# The outage and its tails live inside this span; ordinary negative streams are capped everywhere.
SPIKE_SPAN = (datetime(2026, 11, 4, 9, 45, tzinfo=UTC), datetime(2026, 11, 4, 13, 30, tzinfo=UTC))
QUIET_NEGATIVE_CAP = 4

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "listener" / "demo_data" / "mentions.jsonl"
POST_URL = "https://demo.social-listener.invalid/posts/{:06d}"
STATUS_URL = "https://status.acmecloud.example/incidents/7hq2m4x9"

# --------------------------------------------------------------------------------------------
# Brands, matched exactly as listener.sources.matching does (whole words, case and accents ignored).
# --------------------------------------------------------------------------------------------

BRANDS = {
    "Acme": {"terms": ["acme", "acmecloud", "acme cloud"], "exclude": ["acme anvil", "wile e. coyote"]},
    "Globex": {"terms": ["globex"], "exclude": []},
}


def _normalise(text: str) -> str:
    text = text.translate(dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None))
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())


def _pattern(terms: list[str]) -> re.Pattern[str] | None:
    if not terms:
        return None
    parts = [r"(?<!\w)" + r"\s+".join(re.escape(w) for w in _normalise(t).split(" ")) + r"(?!\w)" for t in terms]
    return re.compile("|".join(parts))


_MATCHERS = {name: (_pattern(spec["terms"]), _pattern(spec["exclude"])) for name, spec in BRANDS.items()}


def brands_in(text: str) -> tuple[str, ...]:
    """The brands a text mentions, in BRANDS order."""
    norm = _normalise(text)
    found = []
    for name, (include, exclude) in _MATCHERS.items():
        if include is not None and include.search(norm) and not (exclude is not None and exclude.search(norm)):
            found.append(name)
    return tuple(found)


# --------------------------------------------------------------------------------------------
# Rates: mentions per hour by UTC hour (Acme); Globex is about half. Linear between hour centres.
# --------------------------------------------------------------------------------------------

ACME_HOURLY = [10, 10, 9, 9, 9, 10, 20, 32, 40, 43, 44, 45, 45, 45, 45, 45, 45, 45, 45, 44, 42, 38, 32, 22]
GLOBEX_FACTOR = 0.6
DAY_FACTOR = [0.99, 1.03, 1.06]  # Monday, Tuesday, Wednesday
SHARES = {  # negative, neutral, positive
    "Acme": (0.15, 0.55, 0.30),
    "Globex": (0.14, 0.55, 0.31),
}
NOISE_SHARE = 0.02
LANGUAGES = (("en", 0.80), ("es", 0.06), ("fr", 0.05), ("de", 0.05), ("pt", 0.04))


def hourly_rate(minute: int) -> float:
    """Acme mentions per hour at this minute of the span (before the day factor)."""
    hour_float = (minute % 1440) / 60.0 - 0.5
    lower = math.floor(hour_float)
    frac = hour_float - lower
    return ACME_HOURLY[lower % 24] * (1 - frac) + ACME_HOURLY[(lower + 1) % 24] * frac


def outage_negative_rate(minute: int) -> float:
    """Extra negative Acme mentions per minute caused by the outage."""
    t = minute - OUTAGE_MINUTE + 0.5
    peak = 1.05
    if t < 2 or t > 195:
        return 0.0
    if t < 20:
        return peak * (t - 2) / 18
    if t < 60:
        return peak * (1.0 + 0.08 * math.sin(math.pi * (t - 20) / 40))
    return peak * math.exp(-(t - 60) / 30)


def outage_neutral_rate(minute: int) -> float:
    """Incident news, status updates and questions about the outage, per minute."""
    t = minute - OUTAGE_MINUTE + 0.5
    if t < 8 or t > 200:
        return 0.0
    if t < 30:
        return 0.35 * (t - 8) / 22
    return 0.35 * math.exp(-(t - 30) / 55)


def switch_rate(minute: int) -> float:
    """Posts about moving to (or failing over to) Globex because of the outage, per minute."""
    t = minute - OUTAGE_MINUTE + 0.5
    if t < 35 or t > 420:
        return 0.0
    return 0.16 * math.exp(-(((t - 120) / 75) ** 2))


def recovery_rate(minute: int) -> float:
    """Relieved or grateful Acme posts once service is back, per minute."""
    t = minute - OUTAGE_MINUTE + 0.5
    if t < 130 or t > 260:
        return 0.0
    return 0.08 * math.exp(-(((t - 170) / 35) ** 2))


# --------------------------------------------------------------------------------------------
# Text fragments.
# --------------------------------------------------------------------------------------------

BRAND_REFS = {
    ("Acme", "en"): ["Acme", "Acme", "Acme", "Acme", "acme", "ACME", "Acme Cloud", "Acme Cloud", "acme cloud",
                     "AcmeCloud", "@AcmeCloud", "@acmecloud"],
    ("Globex", "en"): ["Globex", "Globex", "Globex", "Globex", "globex", "GLOBEX", "Globex Cloud", "@Globex",
                       "@globex"],
    ("Acme", "other"): ["Acme", "Acme", "Acme", "Acme Cloud", "@AcmeCloud", "acme"],
    ("Globex", "other"): ["Globex", "Globex", "Globex", "Globex Cloud", "@Globex", "globex"],
}
POSSESSIVES = {
    "Acme": ["Acme's", "Acme's", "Acme Cloud's", "acme's", "ACME's"],
    "Globex": ["Globex's", "Globex's", "globex's"],
}

VOCAB = {
    "en": {
        "p": ["managed Postgres", "object storage", "Kubernetes service", "serverless platform", "load balancing",
              "CDN", "block storage", "VM hosting", "CLI", "web console", "API", "managed Redis",
              "container registry", "DNS hosting", "backup service", "autoscaling", "GPU hosting",
              "Terraform provider", "queue service", "edge runtime"],
        "db": ["Postgres", "MySQL", "Redis", "MongoDB"],
        "feature": ["one-click rollbacks", "per-second billing", "private networking", "managed TLS",
                    "preview environments", "built-in metrics", "spot instances", "IPv6 on load balancers",
                    "point-in-time restore", "a proper audit log", "SSO for teams", "read replicas",
                    "cross-region backups", "usage alerts", "a dark mode console"],
        "city": ["Madrid", "Warsaw", "Toronto", "Mumbai", "Tokyo", "São Paulo", "Sydney", "Johannesburg",
                 "Stockholm", "Milan", "Seoul", "Chicago", "Dublin", "Jakarta"],
        "weekday": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
        "conf": ["KubeCon", "DevOpsDays", "FOSDEM", "the local Python meetup", "PyCon", "SREcon", "a Postgres meetup"],
        "topic": ["zero-downtime migrations", "edge caching", "Postgres tuning", "cutting cloud costs",
                  "Kubernetes autoscaling", "observability on a budget", "multi-region failover"],
        "other": ["a big hyperscaler", "our old VPS provider", "bare metal", "a colo rack", "a legacy PaaS"],
    },
    "es": {
        "p": ["la base de datos gestionada", "el almacenamiento de objetos", "el servicio de Kubernetes",
              "la plataforma serverless", "el balanceador de carga", "la CDN", "el panel", "la API"],
        "city": ["Madrid", "Ciudad de México", "Bogotá", "Buenos Aires", "Santiago", "Lima"],
    },
    "fr": {
        "p": ["la base de données managée", "le stockage objet", "le service Kubernetes", "la plateforme serverless",
              "le répartiteur de charge", "le CDN", "la console", "l'API"],
        "city": ["Paris", "Montréal", "Lyon", "Bruxelles", "Genève", "Marseille"],
    },
    "de": {
        "p": ["die verwaltete Datenbank", "der Objektspeicher", "der Kubernetes-Dienst", "die Serverless-Plattform",
              "der Load Balancer", "das CDN", "das Dashboard", "die API"],
        "city": ["Frankfurt", "München", "Berlin", "Wien", "Zürich", "Hamburg"],
    },
    "pt": {
        "p": ["o banco de dados gerenciado", "o armazenamento de objetos", "o serviço de Kubernetes",
              "a plataforma serverless", "o balanceador de carga", "a CDN", "o painel", "a API"],
        "city": ["São Paulo", "Lisboa", "Rio de Janeiro", "Porto", "Belo Horizonte", "Curitiba"],
    },
}
REGIONS = ["us-east", "us-west", "eu-west", "eu-central", "ap-south", "ap-northeast", "sa-east"]

# Core sentences: {b} brand reference, {bp} possessive, other slots from VOCAB or numbers.
CORE = {
    "en": {
        "positive": [
            "{b} just works. Moved {n} services over last month and they have been rock solid.",
            "Honestly impressed with {b}. Setting up {p} took {small} minutes.",
            "{bp} {p} is ridiculously fast in {region}. p99 went from {ms1}ms to {ms2}ms 🚀",
            "Shoutout to {b} support, they fixed our {p} issue in under an hour. Great team.",
            "Been on {b} for {years} years now and it's still the best hosting decision we ever made.",
            "Just migrated my side project to {b}. Cheaper, faster, and the docs are excellent.",
            "Love the new {p} on {b}. Clean, simple and the bill is exactly what I expected.",
            "{bp} pricing is refreshingly transparent. Wish every cloud was like this.",
            "The {b} team shipped {feature} and it is exactly what we needed. Thank you!",
            "Our uptime has been flawless since we moved to {b}. {n} weeks of quiet on-call shifts.",
            "Deploys on {b} now take {small} seconds. I love it.",
            "Really happy with {b}. Their {p} is rock solid and support actually answers.",
            "The {b} free tier is genuinely generous. Perfect for students and hobby projects.",
            "Great talk from the {b} folks at {conf} about {topic}. Learned a lot, thanks!",
            "Five stars for {b}. Setup was painless and their {p} just works.",
            "Switched from {other} to {b} and our bill dropped by {pct}%. Very pleased.",
            "Can't recommend {b} enough for small teams. Fast, cheap, friendly support.",
            "TIL {b} has {feature}. This is awesome.",
            "The {b} docs are some of the best I've read. Clear examples, straight to the point.",
            "Kudos to {b} for the smooth {p} upgrade. Seamless and well communicated.",
            "{b} just made my week: {feature} is finally here and it works beautifully.",
            "Our whole team loves {b}. Onboarding new devs takes an afternoon now.",
            "Benchmarked {p} on {b} against {other}: {b} won on price and latency. Impressive.",
            "Wow, {bp} new console is so much faster. Great job!",
            "Fantastic experience with {b} support today. Friendly, fast and they really know their stuff.",
            "Happy {years}-year anniversary with {b}! Still fast, still reliable, still affordable.",
        ],
        "neutral": [
            "Does {b} support {feature}? Can't find it in the docs.",
            "Anyone here running {p} on {b} in {region}? Curious about your setup.",
            "{b} is hosting a webinar on {topic} on {weekday}: {url}",
            "Migrating our staging environment to {b} this week. Will report back.",
            "{b} announced a new region in {city}, expected to open next quarter.",
            "Reading through the {b} docs on {p} before our migration.",
            "Q: what's the default timeout for {bp} {p}?",
            "Our team is evaluating {b} for {p}. Call with their sales team on {weekday}.",
            "{b} published its quarterly transparency report today: {url}",
            "How do you set up {feature} with {b}? Trying to automate it with Terraform.",
            "Note to self: {b} {p} quotas are per project, not per account.",
            "Any {b} user group in {city}?",
            "Writing a blog post on deploying Django to {b}. Draft here: {url}",
            "Just opened an account on {b} to try out their {p}.",
            "Looking for a Terraform example for {b} with private networking, anyone?",
            "New {b} changelog is out: {feature}, plus CLI updates. {url}",
            "{b} will hold its developer conference in {city} in the spring, according to their blog.",
            "Which {b} region is closest to {city}? Deciding where to put our database.",
            "Trying to decide between the {b} small and medium instance types for a staging box.",
            "{b} updated its terms of service today. Summary of changes here: {url}",
            "{bp} {p} in {region} is scheduled for maintenance on {weekday} night, per the email.",
            "Does {b} offer a startup credits program? Asking for a friend.",
            "{b} has a page on compliance certifications now: {url}",
            "Spinning up a test project on {b} for the hackathon this weekend.",
            "What's the best way to move a 200 GB bucket into {bp} object storage?",
        ],
        "negative": [
            "{bp} support has ignored my ticket for {days} days. Terrible experience.",
            "Got hit with a surprise ${money} bill from {b}. Nobody explained the egress charges. Furious.",
            "{bp} {p} has been painfully slow in {region} all week. Really disappointing.",
            "Another price increase from {b}? That's the second one this year. Not happy at all.",
            "The {b} web console is a confusing mess. Took me {small} minutes to find one setting.",
            "{b} randomly restarted our VMs again last night. Losing trust fast.",
            "Worst onboarding experience ever with {b}. Docs are outdated and the examples are broken.",
            "Really frustrated with {b}. Their {p} keeps failing with cryptic errors and support sends canned replies.",
            "{b} deprecated {feature} with {small} days notice. Awful way to treat paying customers.",
            "Our managed {db} on {b} lost a day of data and the restore failed. Absolutely unacceptable.",
            "Disappointed by {b} lately. Latency in {region} is awful and nobody acknowledges it.",
            "Cancelled our {b} account today. Too many billing mistakes and zero accountability.",
            "Why is {bp} {p} so unreliable? Third failed deploy today. I hate this.",
            "{b} charged us twice this month and support says wait 10 business days. Ridiculous.",
            "Avoid {b} if you value your sanity. The API rate limits are insane and undocumented.",
            "The new {b} pricing page is misleading garbage. What a joke.",
            "Spent the whole afternoon fighting {bp} {p}. Broken again. Never again.",
            "{b} locked our account for verification with no explanation. Staging is stuck. Awful.",
            "{bp} {p} docs are wrong again and I wasted half a day on it. So annoying.",
            "Terrible support from {b} today. Three agents, three different answers, zero help.",
            "Paying {b} ${money} a month for a {p} setup that can't stay up through a traffic bump. Pathetic.",
            "{b} CLI broke our CI pipeline with a silent breaking change. Thanks for nothing.",
        ],
    },
    "es": {
        "positive": [
            "{b} funciona de maravilla. Migramos {n} servicios el mes pasado y todo va perfecto.",
            "Muy contento con {b}: el soporte respondió en minutos y lo resolvió todo. ¡Excelente!",
            "La documentación de {b} es clarísima. Así da gusto trabajar.",
            "Desde que usamos {b}, la web carga el doble de rápido. ¡Recomendadísimo!",
            "Me encanta el nuevo panel de {b}. Sencillo, rápido y la factura es justo lo que esperaba.",
            "Increíble lo rápido que va {p} de {b} en {region}. Estamos encantados.",
            "Llevamos {years} años con {b} y sigue siendo la mejor decisión que tomamos.",
        ],
        "neutral": [
            "¿Alguien usa {b} para alojar una app en Django? ¿Qué tal la experiencia?",
            "{b} anunció una nueva región en {city} para el próximo trimestre.",
            "Esta semana migramos el entorno de pruebas a {b}. Ya os contaré.",
            "¿Sabéis si {b} permite redes privadas entre proyectos?",
            "Leyendo la documentación de {b} sobre {p} antes de la migración.",
            "Mañana tenemos una reunión con el equipo comercial de {b} para hablar de precios.",
            "{b} publicó hoy su informe trimestral de transparencia: {url}",
        ],
        "negative": [
            "El soporte de {b} lleva {days} días sin responder a mi ticket. Pésimo servicio.",
            "Otra subida de precios de {b}. Estoy harto, nos vamos a otro proveedor.",
            "{b} me cobró dos veces este mes y nadie me da una solución. Indignante.",
            "La consola de {b} es lentísima y confusa. Qué decepción.",
            "Perdimos datos en {b} y la restauración falló. Inaceptable.",
            "Muy mala experiencia con {b}: errores constantes en {p} y cero explicaciones.",
            "{p} de {b} va fatal en {region} toda la semana. Estoy muy decepcionado.",
        ],
    },
    "fr": {
        "positive": [
            "{b} fonctionne à merveille. On a migré {n} services le mois dernier et tout roule.",
            "Très content de {b} : le support a répondu en quelques minutes et a tout réglé. Génial !",
            "La documentation de {b} est vraiment claire. Un vrai plaisir.",
            "Depuis qu'on est passés sur {b}, notre site est deux fois plus rapide. Je recommande !",
            "J'adore la nouvelle console de {b}. Simple, rapide, et la facture est claire.",
            "{p} chez {b} est super rapide en {region}. On est ravis.",
            "Ça fait {years} ans qu'on est chez {b} et c'est toujours excellent.",
        ],
        "neutral": [
            "Quelqu'un utilise {b} pour héberger une app Django ? Des retours ?",
            "{b} a annoncé une nouvelle région à {city} pour le trimestre prochain.",
            "Cette semaine, on migre notre environnement de test vers {b}. Je vous tiens au courant.",
            "Est-ce que {b} propose des réseaux privés entre projets ?",
            "Je lis la documentation de {b} sur {p} avant la migration.",
            "Rendez-vous demain avec l'équipe commerciale de {b} pour parler des tarifs.",
            "{b} a publié aujourd'hui son rapport de transparence trimestriel : {url}",
        ],
        "negative": [
            "Le support de {b} ne répond pas à mon ticket depuis {days} jours. Service déplorable.",
            "Encore une hausse de prix chez {b}. J'en ai marre, on part ailleurs.",
            "{b} m'a facturé deux fois ce mois-ci et personne ne m'aide. C'est scandaleux.",
            "La console de {b} est lente et incompréhensible. Quelle déception.",
            "Nous avons perdu des données chez {b} et la restauration a échoué. Inacceptable.",
            "Très mauvaise expérience avec {b} : des erreurs partout sur {p} et aucune explication.",
            "{p} chez {b} est d'une lenteur insupportable en {region} depuis une semaine. Très déçu.",
        ],
    },
    "de": {
        "positive": [
            "{b} läuft einfach. Wir haben letzten Monat {n} Dienste migriert und alles läuft super.",
            "Sehr zufrieden mit {b}: Der Support hat in Minuten geantwortet und alles gelöst. Top!",
            "Die Dokumentation von {b} ist richtig gut. So macht Arbeiten Spaß.",
            "Seit wir bei {b} sind, lädt unsere Seite doppelt so schnell. Klare Empfehlung!",
            "Ich liebe die neue Konsole von {b}. Schnell, übersichtlich und eine faire Rechnung.",
            "Bei {b} ist {p} in {region} unglaublich schnell. Wir sind begeistert.",
            "Seit {years} Jahren bei {b} und immer noch begeistert. Großartiger Anbieter.",
        ],
        "neutral": [
            "Nutzt jemand {b} für eine Django-App? Wie sind eure Erfahrungen?",
            "{b} hat eine neue Region in {city} für das nächste Quartal angekündigt.",
            "Diese Woche migrieren wir unsere Testumgebung zu {b}. Ich berichte.",
            "Weiß jemand, ob {b} private Netzwerke zwischen Projekten unterstützt?",
            "Ich lese gerade die Dokumentation von {b} vor der Migration.",
            "Morgen haben wir einen Termin mit dem Vertrieb von {b} wegen der Preise.",
            "{b} hat heute seinen Transparenzbericht für das Quartal veröffentlicht: {url}",
        ],
        "negative": [
            "Der Support von {b} ignoriert mein Ticket seit {days} Tagen. Unglaublich schlecht.",
            "Schon wieder eine Preiserhöhung bei {b}. Mir reicht's, wir wechseln den Anbieter.",
            "{b} hat uns diesen Monat doppelt abgerechnet und niemand hilft. Eine Frechheit.",
            "Die Konsole von {b} ist langsam und völlig unübersichtlich. Enttäuschend.",
            "Wir haben bei {b} Daten verloren und die Wiederherstellung ist fehlgeschlagen. Inakzeptabel.",
            "Ganz schlechte Erfahrung mit {b}: ständig Fehler und keine Erklärung. Ärgerlich.",
            "Bei {b} ist {p} in {region} seit einer Woche furchtbar langsam. Sehr enttäuscht.",
        ],
    },
    "pt": {
        "positive": [
            "A {b} funciona muito bem. Migramos {n} serviços no mês passado e está tudo perfeito.",
            "Muito satisfeito com a {b}: o suporte respondeu em minutos e resolveu tudo. Excelente!",
            "A documentação da {b} é muito clara. Dá gosto de trabalhar assim.",
            "Desde que mudamos para a {b}, o site ficou duas vezes mais rápido. Recomendo demais!",
            "Adorei o novo painel da {b}. Simples, rápido e a fatura veio certinha.",
            "{p} da {b} está voando em {region}. Estamos muito felizes.",
            "Já são {years} anos com a {b} e continua sendo a melhor escolha que fizemos.",
        ],
        "neutral": [
            "Alguém usa a {b} para hospedar uma aplicação Django? Como é a experiência?",
            "A {b} anunciou uma nova região em {city} para o próximo trimestre.",
            "Esta semana vamos migrar o ambiente de testes para a {b}. Depois conto como foi.",
            "Alguém sabe se a {b} suporta redes privadas entre projetos?",
            "Lendo a documentação da {b} sobre {p} antes da migração.",
            "Amanhã temos reunião com o time comercial da {b} para falar de preços.",
            "A {b} publicou hoje o relatório trimestral de transparência: {url}",
        ],
        "negative": [
            "O suporte da {b} não responde ao meu chamado há {days} dias. Péssimo atendimento.",
            "Mais um aumento de preço da {b}. Cansei, vamos trocar de fornecedor.",
            "A {b} me cobrou duas vezes este mês e ninguém resolve. Um absurdo.",
            "O painel da {b} é lento e confuso. Que decepção.",
            "Perdemos dados na {b} e a restauração falhou. Inaceitável.",
            "Experiência horrível com a {b}: erros o tempo todo e nenhuma explicação.",
            "{p} da {b} está com um desempenho péssimo em {region} a semana inteira. Muito decepcionado.",
        ],
    },
}

# Outage posts (Acme only). {mins}: minutes since the outage started.
OUTAGE = {
    "en": {
        "negative": [
            "Is Acme down?? Our whole site is throwing 502s #acmedown",
            "is acme down for anyone else? {p} not responding at all",
            "Acme Cloud dashboard returns 502 Bad Gateway. Can't even log in. #acmedown",
            "acme cloud dashboard returns 502 for me too. Great start to the day 🙄",
            "@AcmeCloud your status page says all systems operational while NOTHING loads. Seriously?",
            "{mins} minutes of downtime and counting. Acme, where is the incident update?",
            "Our checkout has been down for {mins} minutes because of Acme. Losing real money here. Furious.",
            "Third Acme outage this quarter. We pay for 99.99% and get this. Looking at alternatives.",
            "Acme support chat just says high volume of requests. Useless. #acmedown",
            "acme cloud api timing out everywhere in {region}. Pagers going off across the team 😡",
            "Woke up the whole on-call rotation because Acme is down again. Unacceptable.",
            "Dear @AcmeCloud, a status page that lies is worse than no status page. Update it.",
            "All our Acme VMs are unreachable. No ETA, no explanation. Terrible.",
            "The Acme outage is wrecking our launch day. Thanks for nothing.",
            "Can't deploy, can't roll back, can't even open the Acme console. What a disaster.",
            "Acme Cloud is down and their status page is green. Classic. #acmedown",
            "Just got a 502 from acme cloud for the {nth} time in {mins} minutes. Ridiculous.",
            "If your SaaS is down right now, it's probably Acme. Ours is. Awful.",
            "Acme status page finally updated after {mins} minutes. Investigating. Too little, too late.",
            "Still down. {mins} minutes. @AcmeCloud this is unacceptable #acmedown",
            "Our customers are yelling at us because Acme is down. I hate this.",
            "Acme {p} completely dead in {region}. Support ticket open for {mins} minutes, no reply. Awful.",
            "Every single request to the Acme API fails with 502. How is this still happening? #outage",
            "ACME IS DOWN. AGAIN. 😤 #acmedown",
            "Paying Acme for premium support and nobody answers during an outage. Disgraceful.",
            "Acme outage, hour {hour}. Our SLA with our own customers is toast. Furious.",
            "is it just me or is acme cloud completely broken right now? everything 502s",
            "Lost {money} dollars of sales during this Acme outage so far. Absolutely terrible.",
        ],
        "neutral": [
            "Acme status page: Investigating elevated error rates for API and dashboard in {region}. {status}",
            "Acme has acknowledged an incident affecting its {p}. Updates at {status}",
            "Acme Cloud incident update: engineers have identified the cause and are applying a fix. {status}",
            "Reports of an Acme outage are rising, per several monitoring sites.",
            "Acme says services are recovering; some {p} requests may still fail for a while.",
            "For those asking: the Acme incident is tracked at {status}",
            "Acme Cloud incident update: a fix has been applied and they are monitoring. {status}",
            "Does anyone know if the Acme incident affects {region} as well?",
            "Acme incident started around 10:00 UTC according to their status page. {status}",
            "Tracking the Acme incident in our team channel. Current status: identified. {status}",
        ],
    },
    "es": {
        "negative": [
            "¿Se ha caído Acme? Nuestra web devuelve errores 502 desde hace {mins} minutos. #acmedown",
            "El panel de Acme Cloud no carga y la página de estado dice que todo va bien. ¡Vergonzoso!",
            "Acme caído otra vez. Estamos perdiendo ventas y nadie informa de nada. Un desastre.",
            "Llevamos {mins} minutos sin servicio por culpa de Acme. Inaceptable. 😡",
        ],
        "neutral": ["Acme confirma una incidencia que afecta a la API y al panel. Más información: {status}"],
    },
    "fr": {
        "negative": [
            "Acme est en panne ? Notre site renvoie des erreurs 502 depuis {mins} minutes. #acmedown",
            "La console Acme Cloud ne charge plus et la page de statut dit que tout va bien. Lamentable !",
            "Encore une panne chez Acme. On perd des ventes et aucune communication. Catastrophique.",
            "{mins} minutes de panne chez Acme et toujours rien. Inadmissible. 😡",
        ],
        "neutral": ["Acme confirme un incident touchant l'API et la console. Détails : {status}"],
    },
    "de": {
        "negative": [
            "Ist Acme down? Unsere Seite liefert seit {mins} Minuten nur 502-Fehler. #acmedown",
            "Das Acme Cloud Dashboard lädt nicht und die Statusseite sagt, alles sei in Ordnung. Peinlich!",
            "Schon wieder ein Ausfall bei Acme. Wir verlieren Umsatz und niemand informiert uns. Katastrophe.",
            "Seit {mins} Minuten geht bei Acme nichts mehr. Absolut inakzeptabel. 😡",
        ],
        "neutral": ["Acme bestätigt eine Störung bei API und Dashboard. Details: {status}"],
    },
    "pt": {
        "negative": [
            "A Acme caiu? Nosso site está retornando erro 502 há {mins} minutos. #acmedown",
            "O painel da Acme Cloud não carrega e a página de status diz que está tudo normal. Vergonhoso!",
            "Acme fora do ar de novo. Estamos perdendo vendas e ninguém explica nada. Um desastre.",
            "{mins} minutos com a Acme fora do ar. Inaceitável. 😡",
        ],
        "neutral": ["A Acme confirmou um incidente afetando a API e o painel. Detalhes: {status}"],
    },
}

RECOVERY = {
    "en": [
        "Acme is back up. Thanks to the on-call engineers for a fast fix 🙏",
        "Everything is green again on Acme. Nice recovery, team, and great incident updates.",
        "Props to Acme for the clear incident updates today. Appreciate the transparency.",
        "Our Acme services are healthy again. Great work by their SRE team under pressure.",
        "Acme Cloud recovered and our app is fast again. Thank you for the quick turnaround!",
    ],
    "es": ["Acme vuelve a funcionar. Gracias al equipo por la rápida solución 👏"],
    "fr": ["Acme refonctionne. Merci à l'équipe pour la correction rapide 👏"],
    "de": ["Acme läuft wieder. Danke an das Team für die schnelle Lösung 👏"],
    "pt": ["A Acme voltou a funcionar. Obrigado à equipe pela correção rápida 👏"],
}

AFTERMATH = {  # negative, Acme, later on the outage day (part of the ordinary, capped stream)
    "en": [
        "Still no postmortem from Acme about this morning's outage. Not great.",
        "The Acme outage cost us half a day of sales. Asking for SLA credits and support is dragging its feet.",
        "After today's Acme outage I'm seriously reconsidering our hosting. Very disappointed.",
        "Acme status page claimed everything was fine for ages this morning. Hard to trust them now.",
    ],
    "es": ["Seguimos sin explicación de Acme sobre la caída de esta mañana. Muy decepcionante."],
    "fr": ["Toujours aucune explication d'Acme sur la panne de ce matin. Très décevant."],
    "de": ["Immer noch keine Erklärung von Acme zum Ausfall heute Morgen. Sehr enttäuschend."],
    "pt": ["Ainda nenhuma explicação da Acme sobre a queda de hoje de manhã. Muito decepcionante."],
}

SWITCH = {  # mention both brands; positive about Globex (or neutral questions)
    "en": {
        "positive": [
            "Switched to Globex after the Acme outage this morning. Zero issues so far. Very happy.",
            "switched to Globex after the Acme outage. Migration was smooth and their docs are great 👍",
            "While Acme was down, our Globex failover kept everything running. Best decision we made.",
            "Globex support helped us move our API off Acme in an hour today. Impressed!",
            "Moved our critical services to Globex during the Acme outage. Globex has been fantastic.",
            "So glad we run a hot standby on Globex. Acme went down, Globex took the traffic, customers happy.",
        ],
        "neutral": [
            "Anyone evaluated Globex as a failover for Acme after today?",
            "Considering Globex as a second provider after the Acme outage. What's the migration like?",
            "Globex is getting a lot of questions from Acme customers today, judging by my timeline.",
        ],
    },
    "es": {"positive": ["Nos pasamos a Globex después de la caída de Acme de esta mañana. "
                        "Todo perfecto, muy contentos."],
           "neutral": ["¿Alguien ha probado Globex como alternativa a Acme después de lo de hoy?"]},
    "fr": {"positive": ["Passés chez Globex après la panne d'Acme de ce matin. Tout marche parfaitement, ravis !"],
           "neutral": ["Quelqu'un a testé Globex comme solution de secours à Acme après aujourd'hui ?"]},
    "de": {"positive": ["Nach dem Acme-Ausfall heute Morgen sind wir zu Globex gewechselt. "
                        "Läuft super, sehr zufrieden!"],
           "neutral": ["Hat jemand Globex als Ausweichlösung für Acme nach heute getestet?"]},
    "pt": {"positive": ["Mudamos para a Globex depois da queda da Acme hoje de manhã. "
                        "Tudo funcionando, muito satisfeitos!"],
           "neutral": ["Alguém já testou a Globex como alternativa à Acme depois de hoje?"]},
}

COMPARE = {  # ordinary days: mention both brands, never negative
    "neutral": [
        "Acme or Globex for a small Django app? Pros and cons welcome.",
        "Benchmarking {p} on Acme vs Globex this week. Will share numbers.",
        "Our infra is split between Acme and Globex. Anyone else running both?",
        "Comparing Acme Cloud and Globex pricing for {p}. Spreadsheet in progress.",
        "Has anyone written a migration guide from Globex to Acme, or the other way round?",
    ],
    "positive": [
        "Tried both Acme and Globex for {p}, ended up on {winner}. Really happy with it.",
        "Moved from Globex to Acme last month and I love it. Both are solid, but Acme fits us better.",
        "Moved from Acme to Globex last month and the team loves it. Great experience so far.",
        "Acme and Globex both have excellent free tiers. Great time to be building a side project.",
    ],
}

NOISE = [  # brand-like strings that must not match any brand (or hit an excluded term)
    ("en", "neutral", "Acmeville town council approves new bike lanes downtown. {url}"),
    ("en", "positive", "The weekend farmers market in Acmeville was lovely today 🍎"),
    ("en", "positive",
     "Rewatching Road Runner with the kids: Wile E. Coyote ordering yet another ACME anvil never gets old 😂"),
    ("en", "positive", "That ACME anvil gag from the Road Runner cartoons is still the best physics lesson ever."),
    ("en", "neutral", "Wile E. Coyote deserved better than a catalog of exploding ACME rockets."),
    ("en", "neutral", "Costume idea for this year: Wile E. Coyote with a cardboard ACME box. Thoughts?"),
    ("en", "negative", "Traffic on Acmeville Road is backed up past the bridge again. Awful commute."),
    ("en", "neutral", "Both teams reached the acmes of their seasons in October, according to the stats nerds."),
    ("en", "negative", "Globexpress lost my package again. Three weeks late. Terrible courier."),
    ("en", "neutral", "Applying for an internship at globexcorp, wish me luck!"),
    ("en", "positive", "The #Acmeville high school band won regionals! 🎺"),
    ("en", "positive", "New coffee place on Acmeville Avenue is fantastic ☕"),
    ("en", "neutral",
     "Reading a novel about GlobexCorp, a fictional shipping empire. Interesting worldbuilding so far."),
    ("en", "negative", "The Acmeville library is closing early all month. Really disappointing."),
    ("en", "neutral", "Found an old ACME anvil prop at a flea market. No idea what to do with it."),
    ("en", "neutral", "Fun fact: the ACME anvil in the Road Runner cartoons never weighs the same twice."),
    ("en", "positive", "Globexia is a great little board game about trade routes. Highly recommend."),
    ("es", "positive",
     "Viendo dibujos con mi hija: el Coyote (Wile E. Coyote) y sus inventos de ACME siguen siendo geniales 😂"),
    ("fr", "neutral", "Le marché de Noël d'Acmeville ouvre samedi prochain."),
    ("de", "positive", "Kindheitserinnerung: Wile E. Coyote und die ACME-Raketen. Herrlich!"),
    ("pt", "neutral", "A feira de Acmeville volta no próximo fim de semana."),
    ("en", "neutral", "Acmeville farmers market moves indoors for the winter starting next week."),
    ("en", "neutral", "Power cut in north Acmeville, crews say it should be fixed by tonight."),
    ("en", "negative", "Acmeville council meeting ran four hours last night. Brutal and pointless."),
    ("en", "neutral", "Best pizza in Acmeville? Asking for a road trip."),
    ("en", "positive", "Acmeville's new skate park looks amazing!"),
    ("en", "negative", "Flooded basement again. The Acmeville storm drains are a joke."),
    ("en", "neutral", "Every ACME anvil falls on Wile E. Coyote eventually. Deep thoughts for a Tuesday."),
    ("en", "neutral", "My kid asked why nobody ever sued over a faulty ACME anvil. Fair question tbh."),
    ("en", "positive", "Bought a vintage ACME anvil sticker for my laptop. Love it."),
    ("en", "positive", "Halloween leftovers: a Wile E. Coyote costume, one ACME cardboard rocket, zero regrets."),
    ("en", "negative", "globexcorp.example keeps showing up in my spam folder. Blocked."),
    ("en", "negative", "Globexpress finally delivered my package. Only two weeks late. Worst courier ever."),
    ("en", "positive", "The Acmeville Tigers won 3-1 last night! What a game."),
    ("en", "neutral", "Acmeville Public Library book sale this Saturday, proceeds go to the kids' reading program."),
    ("en", "positive", "Shoutout to the Acmeville fire department for the pancake breakfast today 🥞"),
    ("en", "negative", "The globexcorp internship program rejected me. Disappointed, but onwards."),
    ("en", "positive", "Just finished GlobexCorp Tycoon on hard mode. Great game."),
    ("en", "neutral", "Road trip route goes through Acmeville and Springfield. Any stops worth making?"),
    ("es", "negative", "Tráfico horrible en Acmeville esta mañana. Qué desastre."),
    ("fr", "positive", "Wile E. Coyote et ses fusées ACME, toute mon enfance !"),
    ("de", "negative", "Stau in Acmeville, schon wieder. Nervig."),
    ("pt", "positive", "Wile E. Coyote e as bigornas da ACME: clássico absoluto!"),
]

HOSTILE_PAYLOADS = [
    "<script>alert(1)</script>",
    "<!channel>",
    "<img src=x onerror=alert(1)>",
    "<!here> <@U02ABCDEF>",
    "[click for your refund](javascript:alert(document.cookie))",
    "'; DROP TABLE mentions; --",
    "<https://evil.invalid/login|acme.com/login> *reset your password now*",
    "{{7*7}} ${7*7} %s%s%n",
]
HOSTILE_TEMPLATES = {
    "outage": [
        "Is Acme down?? {payload} nothing loads, dashboard is 502 #acmedown",
        "@AcmeCloud status page is green but everything is broken {payload} #acmedown",
    ],
    "negative": [
        "{payload} Acme support closed my ticket without reading it. Terrible service.",
        "@AcmeCloud your dashboard is broken again {payload} fix it",
        "Acme billing page shows garbage instead of my invoice: {payload} Awful.",
    ],
    "neutral": [
        "Testing whether the Acme support form escapes its input: {payload}",
        "Acme Cloud ticket subject line, verbatim from our logs: {payload}",
        "Our Acme project name is literally {payload} and the console renders it fine.",
    ],
}

OPENERS = {
    "en": {
        "negative": ["Ugh.", "Wow.", "Seriously?", "Not again.", "Rant incoming:", "PSA:", "So annoyed.",
                     "Day ruined.", "Ok I'm done.", "Unbelievable."],
        "positive": ["Wow!", "Big thanks!", "Nice.", "Happy camper here:", "Love this:", "PSA:", "TIL:",
                     "Small win today:", "Huge fan.", "Yes!"],
        "neutral": ["Quick question:", "FYI:", "Heads up:", "Hey all.", "Q:", "Note:", "Random thought:",
                    "Update:", "Question for the hive mind:"],
    },
    "es": {"negative": ["Otra vez no.", "Qué vergüenza.", "Vaya tela.", "En serio?"],
           "positive": ["¡Qué maravilla!", "¡Genial!", "¡Por fin!", "¡Olé!"],
           "neutral": ["Pregunta:", "Aviso:", "Hola a todos.", "Dato:"]},
    "fr": {"negative": ["Sérieusement ?", "Encore ?!", "Quelle galère.", "Pfff."],
           "positive": ["Trop bien !", "Enfin !", "Bravo !", "Génial !"],
           "neutral": ["Question :", "Info :", "Bonjour à tous.", "Pour info :"]},
    "de": {"negative": ["Ernsthaft?", "Nicht schon wieder.", "Ärgerlich.", "Unfassbar."],
           "positive": ["Top!", "Endlich!", "Klasse!", "Wow!"],
           "neutral": ["Frage:", "Info:", "Hallo zusammen!", "Kurze Frage:"]},
    "pt": {"negative": ["Sério?", "De novo não.", "Que vergonha.", "Aff."],
           "positive": ["Que maravilha!", "Sensacional!", "Finalmente!", "Show!"],
           "neutral": ["Pergunta:", "Aviso:", "Oi, pessoal!", "Dúvida:"]},
}
CLOSERS = {
    "en": {
        "negative": ["Not impressed.", "Do better.", "Fix it.", "What a waste of time.", "Considering other options.",
                     "So frustrating.", "Terrible.", "smh", "Awful.", "Very disappointed."],
        "positive": ["Highly recommend.", "10/10.", "Great stuff.", "Keep it up!", "Very happy.", "Love it.",
                     "Thanks team!", "Excellent work.", "Brilliant."],
        "neutral": ["Thanks in advance.", "Any tips?", "More later.", "Curious what others think.",
                    "Will post an update.", "Links welcome."],
    },
    "es": {"negative": ["Fatal.", "Muy mal.", "Qué desastre.", "Estoy harto."],
           "positive": ["¡Lo recomiendo!", "¡Gracias, equipo!", "Encantado.", "¡Diez de diez!"],
           "neutral": ["¿Alguna idea?", "Gracias de antemano.", "Seguiré informando."]},
    "fr": {"negative": ["Nul.", "Très déçu.", "Inadmissible.", "On regarde ailleurs."],
           "positive": ["Je recommande !", "Merci l'équipe !", "Top.", "Ravi."],
           "neutral": ["Des idées ?", "Merci d'avance.", "Je vous tiens au courant."]},
    "de": {"negative": ["Enttäuschend.", "So nicht.", "Wir schauen uns nach Alternativen um.", "Schwach."],
           "positive": ["Klare Empfehlung!", "Danke ans Team!", "Sehr zufrieden.", "Weiter so!"],
           "neutral": ["Hat jemand Tipps?", "Danke im Voraus.", "Ich halte euch auf dem Laufenden."]},
    "pt": {"negative": ["Péssimo.", "Decepcionante.", "Que desastre.", "Cansei."],
           "positive": ["Recomendo!", "Valeu, equipe!", "Muito satisfeito.", "Nota dez!"],
           "neutral": ["Alguma dica?", "Obrigado desde já.", "Depois conto."]},
}
EMOJI = {
    "negative": ["😡", "🤬", "😤", "👎", "🙄", "😞", "💀", "😩", "🤦"],
    "positive": ["🎉", "🚀", "❤️", "👏", "🙌", "😍", "💯", "✨", "👍", "🥳"],
    "neutral": ["🤔", "👀", "📌", "🧐", "☁️", "📝"],
}
HASHTAGS = {
    "generic": ["#devops", "#cloud", "#sre", "#kubernetes", "#webdev", "#startup", "#postgres", "#serverless",
                "#hosting", "#buildinpublic", "#infra"],
    "Acme": ["#AcmeCloud", "#acme", "#Acme"],
    "Globex": ["#Globex", "#globex"],
    "negative": ["#fail", "#customerservice", "#frustrated"],
    "positive": ["#happycustomer", "#shipit", "#winning"],
    "outage": ["#acmedown", "#outage", "#downtime", "#sre"],
}
LONG_INTRO = {
    "negative": ["Long post, sorry. I've been with {b} for {years} years and I need to vent.",
                 "Long-time {b} user here, and honestly this month has been the worst yet."],
    "positive": ["Long post incoming. After {years} years on {b} I want to say a few nice things.",
                 "Some thoughts after migrating our whole stack to {b} over the last {n} weeks."],
    "neutral": ["Writing up our evaluation notes on {b} in case they help someone.",
                "Some notes from our {b} migration planning, for anyone in the same boat."],
}
LONG_OUTRO = {
    "negative": ["TL;DR: frustrated, disappointed, and looking at other providers.",
                 "TL;DR: really unhappy. Do better."],
    "positive": ["TL;DR: very happy, would recommend to any small team.", "TL;DR: great product, great people."],
    "neutral": ["TL;DR: still evaluating, will post numbers when we have them.", "Questions welcome."],
}
TYPOS = {"definitely": "definately", "receive": "recieve", "their": "thier", "because": "becuase",
         "really": "realy", "support": "suport", "separate": "seperate", "the": "teh", "you": "u",
         "minutes": "mins", "across": "accross", "until": "untill", "which": "wich", "weird": "wierd"}

NAMES = {
    "en": ["alex", "sam", "jordan", "priya", "mike", "sarah", "chris", "dana", "tom", "emily", "raj", "lena",
           "omar", "kate", "ben", "nina", "leo", "maya", "jake", "zoe", "aisha", "dan", "grace", "hiro", "ivan",
           "jess", "kim", "liam", "mo", "noah", "olivia", "pete", "quinn", "rosa", "tariq", "uma", "vic", "will",
           "yusuf", "ellie", "marcus", "fatima", "george", "hannah", "ken", "lucy", "matt", "nadia", "oscar"],
    "es": ["lucia", "javier", "carmen", "diego", "sofia", "pablo", "marta", "alejandro", "elena", "sergio"],
    "fr": ["camille", "julien", "manon", "thomas", "chloe", "antoine", "lea", "hugo", "ines", "mathieu"],
    "de": ["lukas", "anna", "jonas", "lea", "felix", "katrin", "max", "sophie", "tobias", "jana"],
    "pt": ["joao", "ana", "pedro", "beatriz", "rafael", "larissa", "thiago", "camila", "bruno", "julia"],
}
HANDLE_WORDS = ["dev", "ops", "codes", "builds", "hacks", "sre", "data", "stack", "infra", "tech", "bytes", "null",
                "root", "yaml", "rust", "py", "js", "cloud", "ships", "deploys", "kube", "linux", "db", "web", "ml",
                "sec", "net", "labs", "io", "logs"]
NEWS_ACCOUNTS = [("thecloudbrief", 184000), ("devops_digest", 92000), ("infra_weekly", 41000),
                 ("saasnewsroom", 310000), ("outage_watch", 128000)]


# --------------------------------------------------------------------------------------------
# Randomness helpers (all draws come from one random.Random).
# --------------------------------------------------------------------------------------------


def poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    threshold, count, product = math.exp(-lam), 0, rng.random()
    while product > threshold:
        count += 1
        product *= rng.random()
    return count


def truncated_poisson(rng: random.Random, lam: float, cap: int) -> int:
    while True:
        value = poisson(rng, lam)
        if value <= cap:
            return value


def token(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(length))


def random_url(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.5:
        return f"https://lnk.example/{token(rng, 7)}"
    slug = "-".join(rng.sample(["cloud", "notes", "migration", "deploy", "costs", "postgres", "lessons", "our",
                                "stack", "review", "guide", "2026", "k8s", "setup"], 3))
    site = rng.choice(["blog.devnotes.example", "medium.example", "dev.example", "news.example", "forum.example"])
    return f"https://{site}/{slug}"


# --------------------------------------------------------------------------------------------
# Authors.
# --------------------------------------------------------------------------------------------


@dataclass
class Author:
    handle: str
    reach: int


def make_authors(rng: random.Random) -> dict[str, tuple[list[Author], list[float]]]:
    sizes = {"en": 1800, "es": 160, "fr": 130, "de": 130, "pt": 110}
    pools: dict[str, tuple[list[Author], list[float]]] = {}
    seen: set[str] = {name for name, _ in NEWS_ACCOUNTS}
    for lang, size in sizes.items():
        authors: list[Author] = []
        while len(authors) < size:
            name = rng.choice(NAMES[lang])
            word = rng.choice(HANDLE_WORDS)
            form = rng.randrange(6)
            if form == 0:
                handle = f"{name}{rng.randrange(1, 9999)}"
            elif form == 1:
                handle = f"{name}_{word}"
            elif form == 2:
                handle = f"{word}{name}"
            elif form == 3:
                handle = f"{name}.{word}{rng.randrange(10, 99)}"
            elif form == 4:
                handle = f"the{name}{word}"
            else:
                handle = f"{name}_{rng.choice(NAMES[lang])}{rng.randrange(1, 99)}"
            if handle in seen or brands_in(handle):
                continue
            seen.add(handle)
            u = 1.0 - rng.random()
            reach = min(2_400_000, int(60 / u ** (1 / 1.15)))
            authors.append(Author(handle, reach))
        cumulative, total = [], 0.0
        for rank in range(len(authors)):  # a few prolific posters, a long tail of one-off ones
            total += 1.0 / (rank + 1) ** 0.4
            cumulative.append(total)
        pools[lang] = (authors, cumulative)
    return pools


# --------------------------------------------------------------------------------------------
# Slots: (time, stream) pairs, generated window by window before any text.
# --------------------------------------------------------------------------------------------

STREAMS = {
    # name: sentiment label (None: chosen per post). Ordinary streams are per brand; outage,
    # recovery and aftermath posts are about Acme; switch posts name both brands; noise names neither.
    "acme_negative": "negative", "acme_neutral": "neutral", "acme_positive": "positive",
    "globex_negative": "negative", "globex_neutral": "neutral", "globex_positive": "positive",
    "outage_negative": "negative", "outage_neutral": "neutral", "recovery": "positive", "switch": None, "noise": None,
}


@dataclass(order=True)
class Slot:
    second: int
    order: int
    stream: str = field(compare=False)


def in_spike_span(minute: int) -> bool:
    at = START + timedelta(minutes=minute)
    return SPIKE_SPAN[0] <= at < SPIKE_SPAN[1]


def make_slots(rng: random.Random) -> list[Slot]:
    # Mild hour-level over-dispersion on top of Poisson, per brand.
    jitter = {(brand, hour): math.exp(rng.gauss(0.0, 0.08)) for brand in ("Acme", "Globex") for hour in range(72)}
    slots: list[Slot] = []
    order = 0
    for window in range(WINDOWS):
        first = window * WINDOW_MINUTES
        minutes = range(first, first + WINDOW_MINUTES)
        rates: dict[str, list[float]] = defaultdict(list)
        for minute in minutes:
            day = minute // 1440
            base = hourly_rate(minute) * DAY_FACTOR[day] / 60.0
            acme = base * jitter[("Acme", minute // 60)]
            globex = base * GLOBEX_FACTOR * jitter[("Globex", minute // 60)]
            for brand, rate in (("acme", acme), ("globex", globex)):
                shares = SHARES["Acme" if brand == "acme" else "Globex"]
                rates[f"{brand}_negative"].append(rate * shares[0])
                rates[f"{brand}_neutral"].append(rate * shares[1])
                rates[f"{brand}_positive"].append(rate * shares[2])
            if OUTAGE_MINUTE + 5 <= minute < OUTAGE_MINUTE + 150:  # fewer happy posts while it is down
                rates["acme_positive"][-1] *= 0.5
            rates["outage_negative"].append(outage_negative_rate(minute))
            rates["outage_neutral"].append(outage_neutral_rate(minute))
            rates["switch"].append(switch_rate(minute))
            rates["recovery"].append(recovery_rate(minute))
            rates["noise"].append((acme + globex) * NOISE_SHARE)
        for stream in STREAMS:  # fixed order: determinism
            weights = rates[stream]
            lam = sum(weights)
            if stream in ("acme_negative", "globex_negative"):
                count = truncated_poisson(rng, lam, QUIET_NEGATIVE_CAP)
            elif stream == "outage_negative":  # a burst: less noisy than Poisson, so the peak reads clearly
                count = max(0, round(rng.gauss(lam, 0.5 * math.sqrt(lam))))
            else:
                count = poisson(rng, lam)
            for _ in range(count):
                minute = rng.choices(minutes, weights=weights)[0]
                slots.append(Slot(minute * 60 + rng.randrange(60), order, stream))
                order += 1
    slots.sort()
    return slots


# --------------------------------------------------------------------------------------------
# Texts.
# --------------------------------------------------------------------------------------------


class Filler(dict):
    """Template slots, each drawn at first use and then reused within one text."""

    def __init__(self, rng: random.Random, brand: str, lang: str, extra: dict[str, str] | None = None):
        super().__init__(extra or {})
        self.rng, self.brand, self.lang = rng, brand, lang

    def __missing__(self, key: str) -> str:
        rng, lang = self.rng, self.lang
        vocab = VOCAB[lang]
        if key == "b":
            value = rng.choice(BRAND_REFS[(self.brand, "en" if lang == "en" else "other")])
        elif key == "bp":
            value = rng.choice(POSSESSIVES[self.brand])
        elif key in vocab:
            value = rng.choice(vocab[key])
        elif key in ("feature", "conf", "topic", "weekday", "other"):
            value = rng.choice(VOCAB["en"][key])
        elif key == "region":
            value = rng.choice(REGIONS)
        elif key == "n":
            value = str(rng.randint(2, 40))
        elif key == "small":
            value = str(rng.randint(2, 15))
        elif key == "years":
            value = str(rng.randint(2, 9))
        elif key == "days":
            value = str(rng.randint(2, 14))
        elif key == "pct":
            value = str(rng.randrange(15, 65, 5))
        elif key == "ms1":
            value = str(rng.randrange(180, 900, 10))
        elif key == "ms2":
            value = str(rng.randrange(20, 150, 5))
        elif key == "money":
            value = f"{rng.randrange(300, 9000, 10):,}"
        elif key == "url":
            value = random_url(rng)
        elif key == "status":
            value = STATUS_URL
        elif key == "winner":
            value = rng.choice(["Acme", "Globex"])
        elif key == "nth":
            value = rng.choice(["5th", "8th", "10th", "12th", "20th"])
        else:
            raise KeyError(key)
        self[key] = value
        return value


_FRENCH_ELISION = re.compile(r"\b([dDjJlLqQ]u?e) ([Aa]cme|ACME)\b")


def fill(rng: random.Random, template: str, brand: str, lang: str, extra: dict[str, str] | None = None) -> str:
    text = template.format_map(Filler(rng, brand, lang, extra))
    if lang == "fr":  # "de Acme" -> "d'Acme"
        text = _FRENCH_ELISION.sub(lambda m: m.group(1)[:-1] + "'" + m.group(2), text)
    return text[0].upper() + text[1:] if text[0].islower() and not text.startswith(("is ", "acme", "globex")) else text


_WORD = re.compile(r"^([A-Za-z]{3,})([,.!?:;]*)$")


def add_typo(rng: random.Random, text: str) -> str:
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if _WORD.match(w) and not brands_in(w) and "acme" not in w.lower()
                  and "globex" not in w.lower()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    core, tail = _WORD.match(words[i]).groups()  # type: ignore[union-attr]
    lower = core.lower()
    if lower in TYPOS and core.islower():
        core = TYPOS[lower]
    elif len(core) >= 5:
        j = rng.randrange(1, len(core) - 2)
        kind = rng.randrange(3)
        if kind == 0:
            core = core[:j] + core[j + 1] + core[j] + core[j + 2:]
        elif kind == 1:
            core = core[:j] + core[j + 1:]
        else:
            core = core[:j] + core[j] + core[j:]
    words[i] = core + tail
    return " ".join(words)


@dataclass
class Post:
    second: int
    author: Author
    language: str
    text: str
    sentiment: str
    stream: str
    likes: int = 0
    shares: int = 0
    replies: int = 0


class TextMaker:
    def __init__(self, rng: random.Random, authors: dict[str, tuple[list[Author], list[float]]]):
        self.rng = rng
        self.authors = authors
        self.seen: set[str] = set()
        self.history: dict[tuple[str, str, str], list[Post]] = defaultdict(list)
        self.hostile_next = 0
        self.noise_next = 0

    def author(self, lang: str) -> Author:
        pool, cumulative = self.authors[lang]
        return self.rng.choices(pool, cum_weights=cumulative)[0]

    def language(self) -> str:
        return self.rng.choices([l for l, _ in LANGUAGES], weights=[w for _, w in LANGUAGES])[0]

    def decorate(
        self, text: str, lang: str, sentiment: str, brand: str, outage: bool = False, typos: bool = True
    ) -> str:
        rng = self.rng
        if rng.random() < 0.3:
            text = f"{rng.choice(OPENERS[lang][sentiment])} {text}"
        if rng.random() < 0.3 and not text.endswith(tuple(CLOSERS[lang][sentiment])):
            text = f"{text} {rng.choice(CLOSERS[lang][sentiment])}"
        if rng.random() < (0.3 if sentiment != "neutral" else 0.12):
            text = f"{text} {''.join(rng.sample(EMOJI[sentiment], rng.choice([1, 1, 1, 2])))}"
        if rng.random() < 0.28:
            pool = HASHTAGS["generic"] + HASHTAGS[brand] + (HASHTAGS[sentiment] if sentiment in HASHTAGS else [])
            if outage:
                pool = HASHTAGS["outage"] * 3 + pool
            drawn = dict.fromkeys(rng.sample(pool, rng.choice([1, 1, 2, 3])))
            tags = [tag for tag in drawn if tag.lower() not in text.lower()]
            if tags:
                text = f"{text} {' '.join(tags)}"
        if rng.random() < 0.08 and "https://" not in text:
            text = f"{text} {random_url(rng)}"
        if rng.random() < 0.07:
            text = f"@{self.author(lang).handle} {text}"
        if lang == "en" and rng.random() < 0.10:
            text = text.lower()
        if typos and rng.random() < (0.09 if lang == "en" else 0.02):
            text = add_typo(rng, text)
        return text

    def decorate_noise(self, text: str, sentiment: str) -> str:
        rng = self.rng
        if rng.random() < 0.2:
            text = f"{text} {rng.choice(EMOJI[sentiment])}"
        if rng.random() < 0.1 and "https://" not in text:
            text = f"{text} {random_url(rng)}"
        if rng.random() < 0.1:
            text = text.lower()
        return text

    def long_post(self, lang: str, sentiment: str, brand: str) -> str:
        rng = self.rng
        filler = Filler(rng, brand, lang)
        parts = [rng.choice(LONG_INTRO[sentiment]).format_map(filler)]
        for template in rng.sample(CORE[lang][sentiment], 4):
            parts.append(fill(rng, template, brand, lang))
        parts.append(rng.choice(LONG_OUTRO[sentiment]))
        return "\n\n".join(parts)

    def retweet(self, key: tuple[str, str, str], second: int, window: int) -> Post | None:
        candidates = [p for p in self.history[key][-40:] if second - window <= p.second < second]
        if not candidates:
            return None
        original = self.rng.choice(candidates)
        text = original.text if self.rng.random() < 0.5 else f"RT @{original.author.handle}: {original.text}"
        return Post(second, self.author(original.language), original.language, text, original.sentiment,
                    original.stream)

    def make(self, slot: Slot, hostile: bool) -> Post:
        rng = self.rng
        stream, second = slot.stream, slot.second
        minute = second // 60
        lang = self.language()
        brand = "Globex" if stream.startswith("globex") else "Acme"
        sentiment = STREAMS[stream]
        outage_day = minute >= OUTAGE_MINUTE + 180 and minute < 4320

        if stream == "noise":
            for _attempt in range(20):
                # Every noise template once, in order, then at random.
                entry = NOISE[self.noise_next] if self.noise_next < len(NOISE) else rng.choice(NOISE)
                lang, sentiment, template = entry
                text = self.decorate_noise(fill(rng, template, brand, lang), sentiment)
                if text not in self.seen:
                    break
            self.noise_next += 1
            if brands_in(text):
                raise AssertionError(f"noise matches a brand: {text!r}")
            return Post(second, self.author(lang), lang, text, sentiment, stream)
        if stream == "switch":
            sentiment = "positive" if rng.random() < 0.75 else "neutral"

        rt_chance = 0.08 if stream.startswith(("outage", "switch", "recovery")) else 0.015
        if not hostile and rng.random() < rt_chance:
            lookback = 3 * 3600 if stream.startswith("outage") else 8 * 3600
            post = self.retweet((stream, lang, sentiment), second, lookback)
            if post is not None:
                return post

        for _attempt in range(20):
            expected = {brand}
            if hostile:
                template = rng.choice(HOSTILE_TEMPLATES["outage" if stream == "outage_negative" else sentiment])
                payload = HOSTILE_PAYLOADS[self.hostile_next % len(HOSTILE_PAYLOADS)]
                lang = "en"
                text = fill(rng, template, brand, lang, {"payload": payload})
            elif stream == "outage_negative" or stream == "outage_neutral":
                mins = max(3, minute - OUTAGE_MINUTE)
                extra = {"mins": str(mins), "hour": str(mins // 60 + 1)}
                text = fill(rng, rng.choice(OUTAGE[lang][sentiment]), brand, lang, extra)
                text = self.decorate(text, lang, sentiment, brand, outage=True)
            elif stream == "recovery":
                text = self.decorate(fill(rng, rng.choice(RECOVERY[lang]), brand, lang), lang, sentiment, brand)
            elif stream == "switch":
                expected = {"Acme", "Globex"}
                text = fill(rng, rng.choice(SWITCH[lang][sentiment]), "Globex", lang)
                text = self.decorate(text, lang, sentiment, "Globex")
            elif sentiment != "negative" and lang == "en" and rng.random() < 0.04:
                expected = {"Acme", "Globex"}
                text = fill(rng, rng.choice(COMPARE[sentiment]), brand, lang)
                text = self.decorate(text, lang, sentiment, brand)
            elif brand == "Acme" and sentiment == "negative" and outage_day and rng.random() < 0.35:
                text = self.decorate(fill(rng, rng.choice(AFTERMATH[lang]), brand, lang), lang, sentiment, brand)
            elif lang == "en" and rng.random() < 0.035:
                text = self.long_post(lang, sentiment, brand)
            else:
                text = self.decorate(fill(rng, rng.choice(CORE[lang][sentiment]), brand, lang), lang, sentiment, brand)
            if text not in self.seen:
                break
        if hostile:
            self.hostile_next += 1
        brands = brands_in(text)
        if set(brands) != expected:
            raise AssertionError(f"{stream}: {text!r} matches {brands}, expected {sorted(expected)}")
        return Post(second, self.author(lang), lang, text, sentiment, stream)

    def engagement(self, post: Post) -> None:
        rng = self.rng
        base = post.author.reach ** 0.75 * 0.03 * rng.lognormvariate(0.0, 1.0)
        if post.stream == "outage_negative":
            base *= 3
        post.likes = int(base)
        post.shares = int(base * rng.uniform(0.03, 0.35))
        post.replies = int(base * rng.uniform(0.02, 0.25)) + (1 if rng.random() < 0.25 else 0)


def generate(seed: int = SEED) -> list[dict[str, object]]:
    rng = random.Random(seed)
    authors = make_authors(rng)
    slots = make_slots(rng)
    ordinary = [i for i, s in enumerate(slots) if s.stream in ("acme_negative", "acme_neutral")]
    outage = [i for i, s in enumerate(slots) if s.stream == "outage_negative"]
    hostile = set(rng.sample(ordinary, 8) + rng.sample(outage, 2))
    maker = TextMaker(rng, authors)
    posts: list[Post] = []
    for index, slot in enumerate(slots):
        post = maker.make(slot, index in hostile)
        if post.stream == "outage_neutral" and rng.random() < 0.4 and post.language == "en":
            handle, reach = rng.choice(NEWS_ACCOUNTS)
            post.author = Author(handle, reach)
        maker.engagement(post)
        maker.seen.add(post.text)
        maker.history[(post.stream, post.language, post.sentiment)].append(post)
        posts.append(post)
    records = []
    for number, post in enumerate(posts, start=1):
        created = START + timedelta(seconds=post.second)
        records.append({
            "id": f"demo-{number:06d}",
            "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "author": post.author.handle,
            "author_reach": post.author.reach,
            "url": POST_URL.format(number),
            "language": post.language,
            "text": post.text,
            "likes": post.likes,
            "shares": post.shares,
            "replies": post.replies,
            "expected_sentiment": post.sentiment,
        })
    return records


def serialise(records: list[dict[str, object]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")


# --------------------------------------------------------------------------------------------
# Summary.
# --------------------------------------------------------------------------------------------


def negative_windows(records: list[dict[str, object]]) -> dict[str, list[int]]:
    counts = {brand: [0] * WINDOWS for brand in BRANDS}
    for record in records:
        if record["expected_sentiment"] != "negative":
            continue
        created = datetime.strptime(str(record["created_at"]), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        window = int((created - START).total_seconds()) // (WINDOW_MINUTES * 60)
        for brand in brands_in(str(record["text"])):
            counts[brand][window] += 1
    return counts


def summary(records: list[dict[str, object]], size: int) -> str:
    per_brand = Counter()
    for record in records:
        matched = brands_in(str(record["text"]))
        for brand in matched:
            per_brand[brand] += 1
        if not matched:
            per_brand["(no brand: noise)"] += 1
        if len(matched) == 2:
            per_brand["(both brands)"] += 1
    languages = Counter(str(r["language"]) for r in records)
    sentiments = Counter(str(r["expected_sentiment"]) for r in records)
    texts = Counter(str(r["text"]) for r in records)
    duplicates = sum(n - 1 for n in texts.values() if n > 1)
    hostile = sum(1 for r in records if any(p in str(r["text"]) for p in HOSTILE_PAYLOADS))
    negatives = negative_windows(records)
    spike_first = int((OUTAGE_START - START).total_seconds()) // (WINDOW_MINUTES * 60)
    baseline = median(negatives["Acme"][spike_first + 1 - 96: spike_first + 1])
    lines = [
        f"{len(records)} mentions, {size / 1e6:.2f} MB",
        "per brand: " + ", ".join(f"{k} {v}" for k, v in sorted(per_brand.items())),
        "per language: " + ", ".join(f"{k} {v} ({v / len(records):.1%})" for k, v in languages.most_common()),
        "per sentiment: " + ", ".join(f"{k} {v} ({v / len(records):.1%})" for k, v in sorted(sentiments.items())),
        f"exact duplicate texts (retweet-style copies): {duplicates}; posts with hostile payloads: {hostile}",
        f"Acme negatives per 15 min, 2026-11-04 (median of the previous 24h before 10:15: {baseline}):",
    ]
    for window in range(spike_first - 2, spike_first + 16):
        at = START + timedelta(minutes=window * WINDOW_MINUTES)
        lines.append(f"  {at:%H:%M}  Acme {negatives['Acme'][window]:3d}  Globex {negatives['Globex'][window]:3d}")
    outside = [w for w in range(WINDOWS) if not in_spike_span(w * WINDOW_MINUTES)]
    lines.append(
        "max negatives in any other window: "
        + ", ".join(f"{b} {max(negatives[b][w] for w in outside)}" for b in BRANDS)
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output JSONL (default: the packaged file)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--quiet", action="store_true", help="no summary")
    args = parser.parse_args(argv)
    records = generate(args.seed)
    data = serialise(records)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    if not args.quiet:
        print(summary(records, len(data)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
