"""The words of churn intent, per language: what says a customer is leaving, and what only looks
like it.

Each pattern is a regular expression (the `regex` module) over the mention as
`listener.core.query.normalise` leaves it: case-folded, accents and Arabic hamza folded away,
Devanagari nukta dropped. So patterns are written folded too (`resilie`, `kundige`, `الغيت`),
and `classifiers.churn` folds them again to be sure. Before matching, the brand the mention is
judged for becomes the word `zbrandz` and every other configured brand `zrivalz`, written here
as `<B>` and `<R>`: "switching to <R>" is a competitor win, "switching to <B>" the brand's own.

`leaving` patterns say the author leaves; `not_leaving` patterns veto them (negation,
hypotheticals, jokes, third parties, the brand's own marketing, a switch *to* the brand) and are
tried first. Names are stored with a flagged mention, so a user can see why it was flagged: keep
them short and telling. The guidelines these follow are classifiers/data/churn_intent/GUIDELINES.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class LanguagePatterns:
    leaving: dict[str, str] = field(default_factory=dict)
    not_leaving: dict[str, str] = field(default_factory=dict)


EN = LanguagePatterns(
    leaving={
        "cancel-subscription": r"\bcancel(?:l?ing|l?ed|s)?\b(?:\s+(?:my|our|the|this|<B>))+(?:\s+[^\s]+){0,2}?\s+(?:subscription|sub|account|plan|membership|contract|service)s?\b",
        "cancel-brand": r"\bcancel(?:l?ing|l?ed)?\s+<B>\b",
        "how-to-cancel": r"\bhow (?:do|can|to) (?:i |we )?(?:cancel|close|delete|terminate)\b",
        "cancellation-request": r"\b(?:my|our) cancellation\b",
        "close-account": r"\b(?:clos|delet)(?:e|ed|ing)\s+(?:my|our|the)\s+(?:<B>\s+)?(?:account|app|profile)\b",
        "not-renewing": r"\b(?:not|won'?t|will not)\s+(?:be\s+)?renew(?:ing)?\b",
        "done-with": r"\b(?:i'?m|we'?re|i am|we are)\s+(?:so\s+)?(?:done|finished|through)\s+with\s+<B>",
        "leaving-brand": r"\b(?:leav(?:e|ing)|quit(?:ting)?|ditch(?:ing)?|dump(?:ing)?|drop(?:ping)?)\s+<B>\b",
        "i-am-leaving": r"\b(?:i'?m|we'?re) (?:leaving|out|gone|outta here)\b(?!\s+(?:the|it|a|an|this|that|our|your|of)\b)",
        "moving-off": r"\b(?:mov|migrat|port|transferr?|pull)(?:e|es|ed|ing)?\b(?:\s+[^\s]+){0,4}?\s+(?:off(?: of)?|away from|out of)\s+<B>",
        "switch-from-brand": r"\b(?:switch(?:ed|ing)?|mov(?:e|ed|ing)|migrat(?:e|ed|ing))\s+(?:[^\s]+\s+){0,3}?from\s+<B>",
        "switch-to-competitor": r"\b(?:switch(?:ed|ing)?|mov(?:e|ed|ing)|migrat(?:e|ed|ing)|go(?:ing)?|went|gone|jump(?:ed|ing)?)\s+(?:[^\s]+\s+){0,3}?(?:to|over to)\s+<R>",
        "moved-elsewhere": r"\b(?:moved|migrated|moving|migrating|switching|switched)\s+(?:everything|it all|all|our|my)\b(?:\s+[^\s]+)?\s+(?:over\s+)?to\b(?!\s+<B>)",
        "goodbye-brand": r"\b(?:bye|goodbye|farewell|so long)\b(?:\s+bye)?\s*,?\s*<B>",
        "find-alternative": r"\b(?:alternatives?|replacements?|substitutes?)\s+(?:to|for)\s+<B>|\breplac(?:e|ing)\s+<B>\b",
        "new-provider": r"\bfind (?:a )?new (?:\w+ )?(?:provider|host|bank|carrier|operator|isp)\b",
        "lost-a-customer": r"<B>(?:\s+\w+)?\s+(?:just\s+)?lost\s+(?:a|another|one)\s+(?:[^\s]+\s+)?(?:customer|subscriber|client|user)",
        "ex-customer": r"\bex-?\s*(?:<B>\s+)?(?:customer|user|subscriber|client)\b",
        "considering-leaving": r"\b(?:thinking|considering)\s+(?:about\s+|of\s+)?(?:leaving|switching|cancell?ing|quitting|ditching|moving)\b",
        "do-not-want-it": r"\bdon'?t want (?:your|this|the) (?:service|product|app|plan)s? any ?more\b",
    },
    not_leaving={
        "negated": r"\b(?:never|not|won'?t|wouldn'?t|ain'?t)\s+(?:be\s+|ever\s+)?(?:leav|switch|cancel|quit|mov|ditch)\w*",
        "switch-to-brand": r"\b(?:switch|swap|mov|migrat|go|come|join)\w*\s+(?:[^\s]+\s+){0,2}?(?:to|over to)\s+<B>\b",
        "came-back": r"\b(?:came back|won me back|i'?m staying|staying with)\b",
        "third-party": r"\b(?:my|his|her) (?:cousin|brother|sister|mum|mom|dad|friend|wife|husband|boss|neighbou?r)\b.{0,20}\b(?:cancel|left|leav|switch|quit)",
        "others-leaving": r"\b(?:people|everyone|folks|users)\b.{0,15}\b(?:leaving|switching|cancell?ing|quitting)\b",
        "advice-rejected": r"\b(?:says?|tell(?:s|ing)? me|told me|keep saying)\b.{0,15}\b(?:switch|leave|move)\b.{0,40}\bbut\b",
        "hypothetical": r"\bif i (?:ever|were to)\b|\bbefore (?:i|we) sign(?:ed)? up\b",
        "joke": r"\bi'?d (?:rather )?leave my (?:husband|wife|partner|boyfriend|girlfriend)\b",
        "plan-change": r"\b(?:plan|tier|tariff|package)\s+to the\b|\bto the \w+ (?:plan|one|tier)\b",
    },
)

ES = LanguagePatterns(
    leaving={
        "me-cambio-a": r"\b(?:me cambio|me cambie|me paso|me pase|nos cambiamos|nos pasamos|cambiarme|pasarme|me voy|nos vamos|migramos|migrando|migrar)\b(?:\s+\w+){0,3}?\s+(?:a|con|para)\s+<R>",
        "me-voy-de": r"\b(?:me cambie|me cambio|me pase|me paso|nos vamos|me voy|me fui|salgo|sali|migr\w+|cambi\w+)\s+(?:\w+\s+){0,2}?de\s+<B>",
        "cancelar-suscripcion": r"\bcancel(?:o|e|ar|ando|are)\b(?:\s+(?:mi|la|el|nuestra|nuestro))?\s+(?:suscripcion|cuenta|contrato|plan|abono|linea|servicio)|\bcancelad[ao]\s+(?:la|el|mi)\s+(?:suscripcion|cuenta|contrato|plan)",
        "cancelar-marca": r"\bcancel(?:o|e|ar|ando|are)\s+<B>",
        "dar-de-baja": r"\b(?:dar|doy|di|darme|dare|me di|nos dimos|me doy|damos)\s+(?:de\s+)?baja\b",
        "cerrar-cuenta": r"\b(?:cerre|cierro|cerrar|cerrando|borre|borrar)\s+(?:mi|la|nuestra)\s+cuenta\b",
        "no-renovar": r"\bno (?:pienso |voy a |vamos a |quiero )?renovar\b|\bno renuevo\b",
        "alternativa": r"\balternativas? (?:a|para)\s+<B>",
        "pierde-cliente": r"<B>\s+(?:acaba de |ha |ya )?perd\w*\s+(?:un|una|otr[oa])\s+(?:client|suscriptor|usuari)",
        "ex-cliente": r"\bex[- ]?client[ea]\b",
        "portabilidad": r"\bportabilidad\b",
        "otro-banco": r"\bme llevo (?:la nomina|mi numero|mi cuenta|el dinero)\b",
        "competencia": r"\bme voy (?:a|con) (?:la competencia|otr[oa])\b",
        "dejar-marca": r"\b(?:dejo|dejar|dejare|dejando|abandono|abandonar)\s+(?:a\s+)?<B>",
        "pensando-dejar": r"\bpensando (?:\w+ )?en (?:dejar|cancelar|irme|cambiarme|darme de baja)\b",
        "hasta-aqui": r"\bhasta aqui (?:llegue|hemos llegado)\b",
        "adios-marca": r"\b(?:chao|adios|bye)\s*,?\s*<B>",
    },
    not_leaving={
        "nunca": r"\b(?:jamas|nunca)\b.{0,15}\b(?:cambi|dej|ir|cancel)\w*",
        "negado": r"\bno\s+(?:me\s+)?(?:voy a\s+)?(?:cambi\w*|me voy|dejo|dejar|irme)\b|\bni loco\b|\bni se me pasa\b",
        "a-la-marca": r"\b(?:cambi|pas|mud|migr|ven)\w*\s+(?:\w+\s+){0,2}?a\s+<B>",
        "tercero": r"\bmi (?:primo|prima|hermano|hermana|madre|padre|amigo|amiga|jefe|novio|novia)\b.{0,25}\b(?:baja|cancel|dej|cambi)",
        "otros": r"\b(?:mucha gente|todo el mundo|muchos)\b.{0,20}\b(?:dejando|se van|cancel|cambi)",
        "consejo": r"\b(?:me dicen|dicen) que\b.{0,40}\bpero no\b",
        "se-queda": r"\bme quedo\b|\bme recupero\b|\bvolvi\b",
        "broma": r"\bantes dejo a mi\b",
        "hipotetico": r"\bsi algun dia\b|\bantes de contratar\b",
    },
)

FR = LanguagePatterns(
    leaving={
        "resilier": r"\bresili\w*",
        "quitter-marque": r"\bquitt\w*\s+<B>",
        "passer-chez": r"\b(?:pass\w*|pars|migr\w*)\s+(?:\w+\s+){0,2}?(?:chez|a|sur|vers)\s+<R>",
        "passer-de": r"\b(?:pass\w*|pars|migr\w*)\s+de\s+<B>",
        "se-barrer": r"\bme barre\b|\bje me casse\b|\bje pars\b|\bje change d'(?:operateur|banque|fournisseur|hebergeur)\b",
        "fermer-compte": r"\b(?:ferm|supprim)\w*\s+(?:mon|notre)\s+compte\b",
        "pas-renouveler": r"\brenouvel\w* pas\b|\bpas renouvel\w*",
        "alternative": r"\balternatives? a\s+<B>",
        "adieu-marque": r"\b(?:adieu|bye|au revoir|ciao)\s*,?\s*<B>",
        "migre-ailleurs": r"\bmigr\w*\s+(?:\w+\s+){0,2}?(?:chez|vers|sur)\s+(?!<B>)\w+",
        "desabonner": r"\bdesabonn\w*",
        "portabilite": r"\bportabilite\b",
        "ex-client": r"\bex-?\s*client(?:e)?\b",
        "perd-client": r"<B>\s+(?:vient de|a)\s+perdu\s+une?\s+(?:client|abonne)",
        "compte-ailleurs": r"\b(?:transfer|deplac)\w*\b.{0,30}\bailleurs\b",
        "c-est-fini": r"\bc'est (?:termine|fini) entre nous\b",
        "envisage": r"\b(?:reflechis|pense|envisage)\b.{0,20}\b(?:quitter|resilier|partir|changer)\b",
    },
    not_leaving={
        "nie": r"\bne\s+(?:\w+\s+)?(?:quitt\w*|change|partirai|resili\w*)\s+(?:pas|jamais)\b|\bjamais\b.{0,15}\bquitt|\bpas question de partir\b",
        "vers-la-marque": r"\b(?:pass|migr|ven|chang)\w*\s+(?:[^\s]+\s+){0,3}?(?:chez|a|sur|vers)\s+<B>\b",
        "reste": r"\bje reste\b|\bm'a recupere\b|\bsuis revenu",
        "tiers": r"\bmon (?:frere|cousin|pere|ami|mari|patron)\b|\bma (?:soeur|cousine|mere|femme|copine)\b",
        "autres": r"\bbeaucoup de gens\b|\btout le monde me dit\b",
        "hypothetique": r"\bsi un jour\b|\bavant de m'inscrire\b",
        "blague": r"\bquitterais mon\b",
    },
)

DE = LanguagePatterns(
    leaving={
        "kundigen": r"\bgekundigt\b|\bkundige\b|\bkundigen\b|\bkundigung\b|\bsonderkundigung",
        "wechsel-zu": r"\bwechs\w*\s+(?:\w+\s+){0,2}?zu\s+<R>|\bzu\s+<R>\s+(?:ge)?wechs",
        "weg-von": r"\bvon\s+<B>\s+(?:zu|nach)\b|\bweg von\s+<B>|\bvon\s+<B>\s+(?:\w+\s+)?weg\b|\bvon\s+<B>\s+ab\b",
        "nicht-verlangern": r"\bverlangern\s+wir\s+nicht|\bnicht\s+(?:mehr\s+)?verlangern|\bverlangern\b.{0,20}\bnicht mehr\b",
        "bin-weg": r"\bbin (?:ich )?(?:weg|raus)\b|\bsind wir raus\b",
        "alternative": r"\balternative zu\s+<B>",
        "konto-loschen": r"\bkonto\s+(?:geloscht|gekundigt|aufgelost)|\blosch\w*\s+(?:mein|unser)\s+konto",
        "verlassen": r"<B>\s+zu verlassen|\bverlasse\w*\s+<B>",
        "tschuss": r"\b(?:tschuss|tschau|bye|ciao|adieu)\s*,?\s*<B>",
        "anbieterwechsel": r"\brufnummernmitnahme\b|\bnummer mit\b|\banbieterwechsel\b",
        "das-wars": r"\bist geschichte\b|\bdas war'?s\b",
        "kunde-verloren": r"<B>\s+hat\s+(?:gerade\s+)?einen?\s+(?:kunden|kundin|abonnent\w*)\s+verloren",
        "ex-kunde": r"\bex-?\s*kund\w*",
        "uberlege": r"\buberlege\b.{0,30}\b(?:verlassen|kundigen|wechseln)\b",
    },
    not_leaving={
        "verneint": r"\bnie\b.{0,20}\b(?:wechseln|verlassen|kundigen)|\bverlasse\w* (?:\w+ )?(?:sicher |bestimmt )?nicht\b|\bwechs\w* nicht\b|\bkommt nicht in frage\b|\bverlasse dich nie\b",
        "zur-marke": r"\bzu\s+<B>\s+(?:zu\s+)?(?:wechseln|gewechselt|wechsle)|\bwechs\w*\s+(?:\w+\s+){0,2}?zu\s+<B>",
        "bleibt": r"\bbleibe\b|\bzuruck(?:gekommen|gewonnen)",
        "dritte": r"\bmein (?:bruder|cousin|vater|freund|mann|chef)\b|\bmeine (?:schwester|mutter|freundin|frau)\b",
        "andere": r"\bviele\b.{0,15}\bverlassen|\balle sagen\b",
        "hypothetisch": r"\bfalls ich\b|\bvor dem abschluss",
        "witz": r"\beher verlasse ich\b",
        "tarif": r"\btarif\b",
    },
)

IT = LanguagePatterns(
    leaving={
        "disdire": r"\bdisdett\w*|\bdisdico\b|\bdisdire\b|\brecesso\b",
        "passo-a": r"\bpass\w*\s+(?:a|ad|su)\s+<R>",
        "passato-da": r"\bpassat\w*\s+da\s+<B>",
        "non-rinnovo": r"\bnon rinnov\w*",
        "lascio": r"\b(?:lascio|lasciare|mollo|mollare|abbandon\w*)\s+<B>",
        "ce-ne-andiamo": r"\bce ne andiamo\b|\bme ne vado\b",
        "chiudo-account": r"\bchiud\w*\s+(?:il\s+)?(?:mio\s+)?(?:account|conto)\b|\b(?:account|conto)\s+(?:<B>\s+)?chius[oa]\b",
        "alternativa": r"\balternativa\s+(?:a|ad)\s+<B>",
        "ciao-marca": r"\b(?:ciao|addio|bye)\s*,?\s*<B>",
        "migrato-altrove": r"\bmigrat\w*\s+(?:\w+\s+)?(?:su|a|verso)\s+(?!<B>)\w+",
        "cambio-gestore": r"\bcambi\w* (?:gestore|operatore|banca)\b",
        "portabilita": r"\bportabilita\b",
        "ex-cliente": r"\bex[- ]?client[ei]\b",
        "perso-cliente": r"<B>\s+ha\s+(?:appena\s+)?perso\s+un",
        "sposto-conto": r"\bsposto il conto\b",
        "finita": r"\btra noi e finita\b",
        "pensando": r"\bpensando\b.{0,20}\b(?:lasciare|disdire|cambiare)\b",
    },
    not_leaving={
        "negato": r"\bnon (?:lascerei|lascio|ti lascero|cambio|ci penso)\b",
        "verso-la-marca": r"\b(?:pass|migr|arriv)\w*\s+(?:[^\s]+\s+){0,3}?(?:a|ad|su)\s+<B>\b",
        "resta": r"\bresto\b|\bsono tornat[oa]\b|\bmi ha riconquistat",
        "terzi": r"\bmio (?:cugino|fratello|padre|amico|marito|capo)\b|\bmia (?:cugina|sorella|madre|amica|moglie)\b",
        "altri": r"\btanta gente\b|\btutti mi dicono\b",
        "ipotetico": r"\bse un giorno\b|\bprima di iscrivermi\b",
        "battuta": r"\blascerei mi[oa]\b",
    },
)

PT = LanguagePatterns(
    leaving={
        "cancelar": r"\bcancel(?:ei|ar|o|ando)\b(?:\s+(?:a|minha|meu|o|nossa|nosso))?\s+(?:assinatura|conta|plano|contrato|<B>)|\bcancel(?:ei|ar|o|ando)\b\s*(?:[,.!]|$)|\b(?:plano|assinatura|conta|contrato)\s+(?:\w+\s+)?cancelad[oa]\b",
        "mudar-pra": r"\b(?:mudando|mudar|mudei|mudo|troc\w*|vou|fui|migr\w*)\s+(?:\w+\s+){0,3}?(?:pra|para|pela|pelo|pro|a)\s+<R>",
        "sair-da": r"\b(?:sai|saio|sair|saindo)\s+da\s+<B>|\b(?:migr|mud|troc|pass|lev)\w*\b.{0,20}\bda\s+<B>\s+(?:pra|para)\b",
        "encerrar-conta": r"\bencerr\w*\s+(?:a\s+|minha\s+)*conta\b",
        "nao-renovar": r"\bnao (?:vou |vamos )?renov\w*",
        "alternativa": r"\balternativa (?:a|para)\s+<B>",
        "largar": r"\b(?:largar|largo|deixar|deixo|desisto)\s+(?:d?a\s+)?<B>",
        "portabilidade": r"\bportabilidade\b",
        "ex-cliente": r"\bex-?\s*client[ea]\b",
        "perdeu-cliente": r"<B>\s+(?:acabou de\s+)?perd\w*\s+uma?\s+(?:client|assinant)",
        "vai-embora": r"\bvai embora\b|\bvou embora\b",
        "outro-banco": r"\b(?:levar|levo)\s+(?:minha|a)\s+conta\b",
        "acabou": r"\bacabou pra nos\b",
        "rescindir": r"\brescind\w*",
        "tchau-marca": r"\b(?:tchau|adeus|bye)\s*,?\s*<B>",
        "pensando": r"\bpensando\b.{0,20}\b(?:largar|sair|cancelar|trocar|deixar)\b",
    },
    not_leaving={
        "negado": r"\bnunca\b.{0,15}\b(?:troc|deix|sai|larg|cancel)\w*|\bnao vou (?:sair|trocar|deixar)\b|\bnem penso\b|\bcontinuo com\b",
        "para-a-marca": r"\b(?:mud|troc|migr|vind|fui)\w*\s+(?:[^\s]+\s+){0,3}?(?:pra|para|pro)\s+(?:a\s+)?<B>",
        "fica": r"\bfiquei\b|\bvoltei\b|\breconquistou\b",
        "terceiro": r"\bmeu (?:primo|irmao|pai|amigo|marido|chefe)\b|\bminha (?:prima|irma|mae|amiga|esposa)\b",
        "outros": r"\bmuita gente\b|\btodo mundo fala\b",
        "hipotetico": r"\bse um dia\b|\bantes de assinar\b",
        "piada": r"\blargo meu\b",
    },
)

AR = LanguagePatterns(
    leaving={
        "الغاء-الاشتراك": r"(?:كنسلت|الغيت|لغيت|بلغيت|حالغي|بلغي|الغي)\s+(?:[^\s]+\s+)?(?:اشتراك\w*|حساب\w*|العقد|الاشتراك|<B>)|عشان الغي\b",
        "تحويل-لمنافس": r"(?:احول|بحول|حولت|انتقل|انتقلت|هنقل|نقلت|نقلنا|بنتقل|انقل)\s+(?:[^\s]+\s+){0,3}?(?:على|الى|ل)\s*<R>",
        "من-العلامة": r"من\s+<B>\s+(?:الى|ل|على)",
        "عدم-التجديد": r"(?:لن|ما راح|مش ه?|ما ر?ح?)\s*(?:نجدد|اجدد)",
        "ترك": r"(?:بطلع|طالعين|بترك|اترك|سبت|تارك)\s+(?:من\s+)?<B>|<B>\s+(?:احنا\s+)?طالعين|احنا طالعين|سبت\s+<B>",
        "بديل": r"بديل\s*(?:ل|عن)?\s*<B>",
        "اغلاق-الحساب": r"(?:قفلت|سكرت|حذفت|اغلقت)\s+حساب\w*",
        "وداع": r"(?:وداعا|باي)\s*<B>",
        "نقل-الرقم": r"نقلت رقمي|نقل الرقم",
        "تغيير-الشركة": r"(?:بدي|ابي|ابغى|بغير)\s+غير\s+(?:شركة|الشركة)|بدي غير\b|لبنك ثاني",
        "خسرت-عميل": r"خسرت\s+(?:عميل|مشترك)",
        "عميل-سابق": r"عميل\w*\s+سابق",
        "انتهينا": r"خلاص انتهينا",
        "يفكر-بالترك": r"افكر\b.{0,15}\b(?:اترك|الغي|احول)",
    },
    not_leaving={
        "نفي": r"مستحيل\s+(?:اترك|احول|الغي)|ما راح اترك|ولا افكر|مو ناوي|ولا اترك",
        "الى-العلامة": r"(?:انتقل|احول|حول|انتقلت|حولت)\s+(?:[^\s]+\s+){0,2}?(?:على|الى|ل)\s*<B>",
        "بقي": r"رجعت|ابقى|باقي مع",
        "طرف-ثالث": r"ابن عم|بنت عم|اخوي|صديقي",
        "اخرون": r"ناس كثير|الكل يقول",
        "افتراضي": r"لو الغيت|قبل ما اشترك",
        "نكتة": r"اطلق زوجي",
    },
)

HI = LanguagePatterns(
    leaving={
        "सब्सक्रिप्शन-कैंसल": r"(?:सब्सक्रिप्शन|अकाउंट|खाता|प्लान|सर्विस|कनेक्शन)\s+(?:[^\s]+\s+)?(?:कैंसल|बंद|रद्द)",
        "cancel-kar": r"\b(?:subscription|account|plan|service|connection)\s+(?:\w+\s+)?(?:cancel|band|close|delete)\s+(?:kar|kr|karwa)|<B>\s+(?:ko\s+)?cancel\s+(?:kar|kr)\w*",
        "kaise-band": r"\b(?:kaise|kese)\s+(?:band|cancel|close)\b|\b(?:band|cancel|close)\s+(?:kaise|kese)\b",
        "chhod": r"<B>\s+(?:ko\s+)?(?:chhod|chod|chhor)\w*|<B>\s+(?:को\s+)?छोड",
        "shift-to-competitor": r"<R>\s+(?:pe|par|पर|mein|me|में)\s+(?:shift|switch|move|port|शिफ्ट|स्विच)",
        "shift-from-brand": r"<B>\s+(?:se|से)\s+(?:[^\s]+\s+){0,3}?(?:shift|switch|move|port|शिफ्ट|स्विच)",
        "renew-nahi": r"\brenew\s+nahi\b|रिन्यू नहीं",
        "alternative": r"<B>\s+(?:ka|का)\s+(?:koi\s+)?(?:alternative|विकल्प)",
        "port": r"\bport\s+(?:kar|request|karwa)|पोर्ट",
        "move-kar-diya": r"\bmove kar (?:diya|rahe|raha)\b|\bshift kar raha\b",
        "bye": r"\bbye(?: bye)?\s*<B>",
        "nikal-rahe": r"\bnikal (?:rahe|raha|jaunga|jayenge)\b",
        "rishta-khatam": r"\brishta khatam\b",
        "kho-diya": r"\bkho (?:diya|di)\b",
        "ex-customer": r"(?:पुरानी|पुराना|पूर्व)\s+ग्राहक|\bex[- ]customer",
    },
    not_leaving={
        "negated": r"\bkabhi nahi\b|\bnahi chhod|\bchhodne ka sawaal|नहीं छोड|\bswitch nahi\b|\bke saath hi\b",
        "to-brand": r"<B>\s+(?:pe|par|पर)\s+(?:switch|shift|स्विच|शिफ्ट)",
        "others": r"\bbolte hain\b|\bbahut log\b",
        "joke": r"\bbiwi chhod",
        "came-back": r"\bwapas\b|\bruk gaya\b",
        "third-party": r"\bbhai ne\b|\bdost ne\b|\bbehen ne\b",
        "hypothetical": r"\bagar kabhi\b|\bsign up se pehle\b",
        "moving-home": r"\bghar shift\b",
    },
)

PATTERNS: dict[str, LanguagePatterns] = {
    "en": EN, "es": ES, "fr": FR, "de": DE, "it": IT, "pt": PT, "ar": AR, "hi": HI,
}  # fmt: skip
"""Languages with patterns: the eight of the shipped multilingual model's training data (UMSAB)."""

BRAND_TOKEN = "zbrandz"
RIVAL_TOKEN = "zrivalz"
