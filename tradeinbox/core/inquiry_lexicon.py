"""Phrase lists for :mod:`tradeinbox.core.inquiry`, in the eight supported languages.

English, Chinese, Spanish, Portuguese, French, German, Russian and Arabic. The phrases
were written from the vocabulary of export-trade correspondence (buyers' requests,
Incoterms 2020 names, common certification marks) and from the well-known advance-fee
and fake-RFQ patterns (e.g. the FBI/IC3 and Alibaba.com fraud-awareness pages describe
"registration/inspection fees", "visa invitation letters" and "login to view the order").

Each entry is ``signal name -> (weight, patterns)``. Patterns are regexes, matched
case-insensitively on the subject and the newly written text of a message (quoted
history removed). Latin-script words carry ``\\b`` boundaries; Chinese has no word
boundaries; Cyrillic and Arabic rely on Python's Unicode ``\\b``.
"""

from __future__ import annotations

import re

_Lex = dict[str, tuple[float, list[str]]]

# --- inquiry intent --------------------------------------------------------------------
# Strong: an explicit request to the recipient for a price / quotation / offer.
# Medium: words of a buying conversation (catalogue, MOQ, samples, lead time, Incoterm).
INQUIRY: _Lex = {
    "request_quote": (
        2.0,
        [
            r"\bplease\s+(?:kindly\s+)?(?:quote|offer|advise\s+(?:your\s+)?(?:best\s+)?price)",
            r"\bkindly\s+(?:quote|offer|send\s+(?:us\s+|me\s+)?(?:your\s+)?(?:best\s+)?(?:price|quotation|offer))",
            r"\b(?:send|give|provide|submit|email|forward)\s+(?:us|me)\s+(?:your\s+|a\s+|the\s+)?"
            r"(?:best\s+|lowest\s+|latest\s+)?(?:price|prices|quotation|quote|offer|proforma|catalog)",
            r"\b(?:send|submit|give)\s+(?:your\s+|a\s+)?(?:best\s+)?(?:price|quotation|quote|offer|bid)s?\b",
            r"\bquote\s+(?:us|me|your\s+(?:best\s+)?price|for)\b",
            r"\brequest(?:ing)?\s+(?:for\s+)?(?:a\s+)?(?:quotation|quote|price|proposals?|bids?|offers?)\b",
            r"\b(?:RFQ|RFP)\b",
            r"\b(?:quotation|quote|price)\s+request\b",
            r"\bfor\s+(?:your\s+)?(?:quotation|quote|pricing)\b|\bpara\s+(?:su\s+)?(?:cota[cç][aã]o|cotizaci[oó]n)|\bpara\s+cotizar|"
            r"\bpour\s+(?:devis|cotation)|\bzur\s+Angebotsabgabe|\bдля\s+(?:расчета|котировки)|للتسعير",
            r"\bplease\s+send\s+(?:us\s+|me\s+)?(?:a\s+|an\s+|your\s+|the\s+)?(?:\w+\s+){0,2}(?:offer|quotation|quote|prices?|catalog(?:ue)?|price\s*list|proposal)\b",
            r"\bwe(?:'d|\s+would)\s+like\s+(?:your|a|an)\s+(?:\w+\s+){0,3}(?:price|quotation|quote|offer)",
            r"\b(?:could|can|would)\s+you\s+(?:please\s+)?(?:send|give|provide|quote)\s+(?:us|me)\s+(?:\w+\s+){0,4}(?:price|prices|quotation|quote|offer|catalog(?:ue)?|price\s*list)",
            r"\bwhat\s+(?:is|are|would\s+be)\s+(?:the|your)\s+(?:best\s+)?(?:price|cost)",
            r"\bhow\s+much\s+(?:is|are|does|for|would)\b",
            r"\binvite[sd]?\s+you\s+to\s+(?:quote|bid|submit|tender)",
            r"\b(?:respond|reply)\s+to\s+the\s+attached\s+(?:RFQ|RFP|request)",
            r"\b(?:looking\s+for|interested\s+in)\s+(?:your\s+)?(?:indicative\s+)?(?:quotes?|quotation|prices?|offers?)\b",
            r"\bupdate\s+the\s+price\b",
            r"\bbids?\s+(?:are|is)\s+due\b|\bbids\s+must\s+be\s+received\b|\brequest\s+for\s+bid",
            # Chinese
            r"请(?:您|贵司|贵公司)?(?:尽快)?(?:报价|报个价|报一下价|提供报价|发.{0,10}(?:报价|价格|目录|价目))",
            r"询价|求购|需采购|需要采购|采购询价|报价单?[和及]",
            r"(?:价格|单价|报价)是多少|多少钱",
            # Spanish
            r"\b(?:solicit(?:amos|o|ud\s+de)|env[ií](?:en|e)nos|pueden\s+enviar(?:nos)?|podr[ií]an\s+enviar(?:nos)?)"
            r"\s+(?:su\s+|una\s+|la\s+|el\s+)?(?:mejor\s+)?(?:cotizaci[oó]n|precio|oferta|cat[aá]logo|lista\s+de\s+precios|informaci[oó]n)",
            r"\b(?:me\s+gustar[ií]a|quisiera|quisi[ée]ramos)\s+recibir\s+(?:su\s+|el\s+|la\s+)?(?:cat[aá]logo|lista|cotizaci[oó]n|oferta|precio)|\bnecesitamos\s+(?:una\s+)?cotizaci[oó]n|\bcotizaci[oó]n\s+(?:de|para|urgente)\b|\bquisiera\s+saber\s+el\s+precio",
            r"\bpresentar\s+oferta|\bsolicitud\s+de\s+oferta",
            # Portuguese
            r"\b(?:preciso|precisamos|solicitamos|gostar[ií]amos\s+de\s+receber|favor\s+enviar|podem\s+(?:me\s+)?(?:enviar|mandar)|poderiam\s+(?:me\s+)?enviar)"
            r"\s+(?:de\s+)?(?:o\s+|a\s+|um\s+|uma\s+)?(?:or[cç]amento|cota[cç][aã]o|pre[cç]os?|cat[aá]logo|amostras|tabela)",
            r"\bsolicita[cç][aã]o\s+de\s+cota[cç][aã]o|\bpedido\s+de\s+or[cç]amento|\benviar\s+o\s+or[cç]amento|\bsolicita\s+cota[cç][aã]o",
            # French
            r"\b(?:merci\s+de\s+nous\s+(?:faire\s+parvenir|envoyer|adresser|transmettre|[ée]tablir)|pourriez-vous\s+(?:m'|nous\s+)?envoyer|nous\s+vous\s+remercions\s+de\s+nous\s+adresser)",
            r"\bdemande\s+d[e']\s*(?:prix|devis|offre|cotation)|\bquel\s+(?:serait|est)\s+votre\s+prix",
            r"\b(?:établir|faire)\s+un\s+devis",
            # German
            r"\bbitte\s+(?:senden|schicken)\s+sie\s+(?:uns|mir)\s+(?:\w+\s+){0,2}(?:angebot|preis|katalog|preisliste)",
            r"\bbitte\s+(?:nennen|unterbreiten)\s+sie|\bbitten\s+um\s+(?:ein\s+)?angebot|\bpreisanfrage\b|\bangebotsanfrage\b",
            r"\bwas\s+kostet\b|\banfrage\b",
            # Russian
            r"\bзапрос\s+(?:цены|цен|коммерческого\s+предложения|кп)\b|\bпрос(?:им|ьба)\s+(?:прислать|направить|предоставить|выслать)",
            r"\bпришлите[,\s]+(?:пожалуйста[,\s]+)?(?:ваш\s+|цену|прайс|каталог|коммерческое|информацию)",
            r"\bкоммерческое\s+предложение\b",
            # Arabic
            r"هل\s+يمكن(?:كم)?\s+إرسال|أريد\s+معرفة\s+(?:ال)?أسعار|عرض[اًً]*\s+فني|طلب\s+عرض\s+(?:ال)?سعر|عرض\s+سعر|(?:نرجو|يرجى|الرجاء)\s+(?:إرسال|ارسال|تزويدنا)|كم\s+سعر|لتقديم\s+عرض",
        ],
    ),
    "purchase_intent": (
        1.5,
        [
            r"\b(?:we|i|company|boss|client|customer)\s+(?:\w+\s+){0,2}(?:want|wants|would\s+like|wish(?:es)?|intends?|plans?|approved)\s+(?:to\s+)?(?:buy|order|purchase|import|place)",
            r"\b(?:evaluating|sourcing|selecting)\s+(?:new\s+)?suppliers?\b|\bis\s+sourcing\b|\bexpanding\s+its\b",
            r"\b(?:обсудим|разместим|сделаем)\s+заказ|\bGroßauftrag\b|\bpedido\s+grande\b",
            r"\b(?:are\s+sourcing|interested\s+in\s+(?:buying|purchasing|importing|your\s+products))\b",
            r"需采购|要采购|求购|采购一批|订购",
            r"\bqueremos\s+comprar\b|\bseleccionada\s+para\s+suministrar|\bdeseamos\s+(?:comprar|adquirir)",
            r"\bqueremos\s+comprar\b|\binteressad[oa]\s+em\s+adquirir|\bgostar[ií]amos\s+de\s+conhecer|\bpretende\s+receber\s+proposta",
            r"\bnous\s+souhaitons\s+(?:passer|acheter|commander|recevoir)|\bsouhaite\s+recevoir\s+une\s+offre",
            r"\bwir\s+m[öo]chten\s+(?:\w+\s+){0,3}(?:kaufen|bestellen)\b",
            r"\bхотим\s+(?:купить|заказать)\b|\bготовы\s+(?:сделать|разместить)\s+(?:\w+\s+)?заказ",
            r"نود\s+شراء|تم\s+اختيار\s+شركتكم|نرغب\s+(?:في\s+)?شراء",
            r"\b(?:place|placing)\s+(?:an?\s+|the\s+|our\s+|big\s+|large\s+)?(?:order|purchase)",
            r"\b(?:selected|nominated|chosen)\s+to\s+supply|\bsupply\s+contract\b|\bpurchase\s+list\b|\bnew\s+order\b",
        ],
    ),
    "buyer_intro": (
        1.0,
        [
            r"\bwe\s+are\s+(?:a\s+|an\s+|the\s+)?(?:\w+\s+){0,3}(?:importers?|distributors?|wholesalers?|retailers?|retail\s+chain|buyers?|trading\s+company|contractors?|dealers?)\b",
            r"我们是.{0,10}(?:进口商|经销商|批发商|贸易公司|工作室|公司)",
            r"\bsomos\s+(?:una?\s+)?(?:\w+\s+){0,2}(?:importador\w*|distribuidor\w*|ferreter[ií]a|tienda|loja|confec[cç][aã]o|empresa\s+mayorista)",
            r"\btenho\s+uma\s+(?:loja|confec[cç][aã]o)|\btengo\s+una\s+tienda",
            r"\bnous\s+sommes\s+(?:des\s+)?(?:distributeurs|importateurs|grossistes|revendeurs)",
            r"\bwir\s+sind\s+(?:ein\s+)?(?:\w+\s+){0,2}(?:Großhändler|Großhandel|Händler|Importeur|Elektrofachhandel|Fachhandel)",
            r"\bмы\s+(?:\w+\s+)?(?:оптов\w+\s+компания|дистрибьютор|импортер|дилер)",
            r"نحن\s+(?:متجر|شركة|مستورد|موزع)",
        ],
    ),
    "topic": (
        1.0,
        [
            r"\bprices?\b|\bpricing\b|\bcosts?\b|\bquotations?\b|\bquotes?\b|\boffers?\b|\bcatalog(?:ue)?s?\b|\bbrochure|"
            r"\bprice\s*list|\bpricelist|\bMOQ\b|\bminimum\s+order|\blead\s+time|\bdelivery\s+time|\bsamples?\b|"
            r"\b(?:FOB|CIF|CFR|EXW|FCA|CIP|DAP|DDP)\b|\bwholesale\b|\b(?:enquiry|inquiry)\b|\btender\b|\bbid\s+form|"
            r"\bproforma\b|\bpurchase\s+(?:order|list)\b|\border\s+list\b|\bresale\b|\bexport\s+terms\b|\bRFQ\b|\bRFP\b|\bbids?\b",
            r"价格|价钱|报价|单价|多少钱|目录|价格表|价目表|样品|起订量|交货期|交期|批发|出厂价|招标|采购清单",
            r"\bprecios?\b|\bcotizaci[oó]n|\bcotizar\b|\boferta\b|\bcat[aá]logo|\blista\s+de\s+precios|\bpedido\s+m[ií]nimo|"
            r"\bmuestras?\b|\bplazo\s+de\s+entrega|\btiempo\s+de\s+(?:fabricaci[oó]n|entrega)|\bmayore(?:o|o)|\bmayorista|"
            r"\blicitaci[oó]n|\badjudicaci[oó]n|\breventa\b",
            r"\bpre[cç]os?\b|\bor[cç]amento|\bcota[cç][aã]o|\bproposta\b|\btabela\s+de\s+pre[cç]os|\bamostras?\b|"
            r"\bprazo\b|\bqual\s+o\s+valor|\batacado\b|\brevenda\b",
            r"\bprix\b|\btarifs?\b|\bdevis\b|\boffre\b|\bcatalogue\b|\b[ée]chantillons?\b|\bd[ée]lai\b|"
            r"\bminimum\s+de\s+commande|\bcotation\b|\bgrossiste|\brevendeur|\bappel\s+d'offres|\bmarch[ée]\s+public",
            r"\w*preis(?:e|liste|anfrage)?\b|\bangebot\b|\bkatalog\b|\bmuster\b|\blieferzeit\b|\bmindest(?:bestell)?menge|"
            r"\bkostet\b|\bkosten\b|\bkonditionen\b|\bausschreibung\b|\bbestellliste\b|\bwiederverk[äa]uf",
            r"\bцен(?:а|ы|у|ой|ам|ах)?\b|\bстоимост\w*|\bстоя?т\b|\bпрайс|\bкоммерческ\w+\s+предложени\w*|\bКП\b|"
            r"\bкаталог\w*|\bобраз(?:ец|цы|цов)\b|\bсрок\w*\s+поставки|\bминимальн\w+\s+заказ|\bопт\w*|\bтендер\w*",
            r"سعر|أسعار|الأسعار|كتالوج|عينة|عينات|العينات|الحد\s+الأدنى|مدة\s+(?:ال)?توريد|الجملة|مناقصة|المناقصة",
        ],
    ),
    "need_or_interest": (
        1.0,
        [
            r"\b(?:we|i)\s+(?:need|require|are\s+looking\s+for|am\s+looking\s+for|are\s+interested|am\s+interested|are\s+searching)\b|"
            r"\binterested\s+in\b|\blooking\s+for\s+(?:a\s+)?(?:supplier|manufacturer)",
            r"需要|想要|感兴趣|求购|想了解|有意向",
            r"\b(?:necesitamos|necesito|nos\s+interesan?|me\s+interesan?|buscamos|busco|estamos\s+interesados)\b",
            r"\b(?:precisamos|preciso|procuro|procuramos|temos\s+interesse|interessad[oa]s?|pretendemos|pretende\s+receber)\b",
            r"\b(?:nous\s+cherchons|je\s+cherche|nous\s+recherchons|nous\s+sommes\s+int[ée]ress[ée]s|nous\s+avons\s+besoin|int[ée]ress[ée]s?\s+par)\b",
            r"\b(?:wir\s+suchen|wir\s+ben[öo]tigen|wir\s+brauchen|interessieren\s+uns|Interesse\s+an|Bedarf\s+an)\b",
            r"\b(?:нужн[аыо]|нужен|требу[ею]тся|интересу\w+|ищем)\b",
            r"نحتاج|نريد|أرغب|نبحث|مهتم",
        ],
    ),
    "request_cue": (
        1.0,
        [
            r"[?？¿؟]",
            r"\b(?:please|kindly|could\s+you|can\s+you|would\s+you|let\s+me\s+know|advise)\b",
            r"请|麻烦|能否|可否|是否|吗",
            r"\b(?:por\s+favor|pueden|podr[ií]an|quisiera|favor\s+de|favor\s+enviar|podem|poderiam|gostaria)\b",
            r"\b(?:merci\s+de|pouvez-vous|pourriez-vous|veuillez|svp|s'il\s+vous\s+pla[iî]t)\b",
            r"\b(?:bitte|k[öo]nnen\s+Sie|k[öo]nnten\s+Sie|w[üu]rden\s+Sie)\b",
            r"\b(?:прошу|просим|пришлите|укажите|сообщите|подскажите|сколько|пожалуйста)\b",
            r"الرجاء|يرجى|نرجو|رجاء|هل\s|ما\s+هي|كم\s",
        ],
    ),
}

#: Most a group can add however many different phrases of it occur.
CAPS = {"request_cue": 1.0, "need_or_interest": 1.0, "topic": 2.5}

# --- not an inquiry ----------------------------------------------------------------------
NOT_INQUIRY: _Lex = {
    "seller_pitch": (
        -2.5,
        [
            r"\bwe\s+are\s+(?:a\s+|the\s+)?(?:professional|leading|top|experienced)\s+(?:\w+\s+){0,3}(?:manufacturer|supplier|factory|exporter)",
            r"\bour\s+(?:price|prices)\s+(?:is|are)\s+(?:very\s+)?(?:competitive|good|low)",
            r"\bcheck\s+our\s+catalog(?:ue)?\s+attached|\bwhich\s+items\s+you\s+need",
            r"我司是专业|我们是专业|我们是一家专业",
        ],
    ),
    "offer_sent": (
        -2.0,
        [
            r"\b(?:attached|enclosed)\s+(?:is|are|please\s+find)\s+(?:our|the)\s+(?:quotation|offer|proposal|response|price\s+list|proforma)",
            r"\bplease\s+find\s+(?:attached\s+)?our\s+(?:quotation|offer|proforma|proposal)",
            r"\benclosing\s+for\s+your\s+review\s+our\s+response|\bin\s+response\s+to\s+your\s+request\s+for\s+proposal",
            r"\bweek(?:ly)?\s+prices?\b|\blast\s+weeks?'?\s+prices\b",
        ],
    ),
    "existing_deal": (
        -2.5,
        [
            r"\bpayment\s+(?:of\s+\S+\s+)?(?:\w+\s+){0,6}(?:has\s+been|was)\s+(?:released|sent|made|remitted)|\bremittance\s+advice",
            r"\bbooking\s+(?:is\s+)?confirm|\barrival\s+notice|\bshipping\s+instructions\b|\bwe\s+confirm\s+the\s+order",
            r"\border\s+confirm",
            r"预付款|已于今日汇出|安排生产|付款通知",
            r"\baviso\s+de\s+llegada|\bcomprovante\s+de\s+pagamento|\bsinal\s+de\s+30",
            r"\bkorrigierte\s+rechnung|\bfehlt\s+unsere\s+bestellnummer",
            r"إشعار\s+وصول|ستصل\s+إلى\s+ميناء",
        ],
    ),
    "marketing": (
        -2.0,
        [
            r"%\s+off\b|\bsave\s+up\s+to\b|\bshop\s+now\b|\bclick\s+here\b|\bview\s+(?:this|it)\s+in\s+your\s+browser|"
            r"\bto\s+be\s+removed\b|\bopt[-\s]out\b|\bregister\s+now\b|\bfree\s+shipping\b|\bspecial\s+offers?\b|"
            r"\bheadlines\b|\bwebinar\b|\bseminar\b|\bsurvey\b|\bnews\s*letter\b|\bannounce(?:s|ment)\b",
            r"\bunsubscribe\b|\bnewsletter\b|\bbook\s+your\s+booth|\bbooth\s+booking|\bearly[-\s]bird",
            r"\bsales\s+intelligence\b|\bhot\s+leads\b|\bprospects?\b.{0,40}\bdatabase\b|\bleads\s+for\s+you\b",
            r"展位|参展|退订",
            r"\bdésabonner|\bdesuscribir|\bcancelar\s+(?:a\s+)?inscri|\babmelden\b|\bотписаться|\bвыставк|إلغاء\s+الاشتراك",
        ],
    ),
    "meeting_logistics": (
        -1.5,
        [
            r"\bconference\s+call\b|\bpre-bid\s+conference|\bmeeting\s+(?:is\s+)?scheduled|\bcall-in\s+number"
        ],
    ),
}

# --- grading: A (scam / irrelevant) ---------------------------------------------------------
SCAM: _Lex = {
    "advance_fee": (
        3.0,
        [
            r"\b(?:registration|inspection|certification|clearance|notary|notarial|processing|handling|documentation|attorney|legal)\s+(?:and\s+\w+\s+)?(?:fee|fees|charges?)\b",
            r"\byou\s+(?:must|have\s+to|need\s+to|should|will\s+need\s+to)\s+(?:first\s+|also\s+)?pay\b|\b(?:courier|shipping|customs|bank|transfer)\s+(?:fee|fees|charges?)\b.{0,40}\brefund",
            r"\bover[-\s]?invoiced|\bcontract\s+(?:sum|worth)\b|\b100%\s+risk[-\s]?free\b|\bwestern\s+union\b|\bmoneygram\b",
            r"\bpay\s+(?:the\s+)?(?:\w+\s+){0,3}(?:fee|charges?)\s+(?:first|in\s+advance|upfront|before)|\bfee\s+(?:of\s+)?(?:USD|US\$|\$|EUR|€)\s?[\d,]+\s+(?:to|in\s+advance)",
            r"保证金|招待费|个人账户|手续费|公证费|礼品|餐费|派人.{0,12}签(?:合同|约)",
            r"\bgarant[ií]a\s+de\s+participaci[oó]n|\bdepositar\s+(?:la\s+)?garant[ií]a|\bfrais\s+de\s+dossier",
            r"\bgastos\s+notariales|\btasa\s+de\s+registro|\btaxa\s+de\s+registro|\bdespachante\b",
            r"\bregistrierungsgeb[üu]hr|\bvorab\s+(?:per|zu\s+zahlen)",
            r"\bfrais\s+d'(?:inscription|enregistrement)",
            r"\bрегистрационн\w+\s+сбор|\bпредоплат\w+\s+сбор",
            r"رسوم\s+(?:ال)?تسجيل|ويسترن\s+يونيون|بيانات\s+حساب\w*\s+(?:ال)?بنكي",
        ],
    ),
    "bank_details_request": (
        1.5,
        [
            r"\bsend\s+(?:us\s+|me\s+)?(?:your\s+)?(?:company\s+name,\s+)?bank\s+(?:account\s+)?(?:details|information|info)",
            r"\b(?:send|provide)\s+your\s+bank|\bbank\s+account\s+details\b",
        ],
    ),
    "visa_or_guarantee": (
        3.0,
        [
            r"\binvitation\s+letter|\bletter\s+of\s+invitation|\binvitation\s+for\s+visa|\bvisa\s+invitation",
            r"\bguarantee\s+letter|\bletter\s+of\s+guarantee|\bcover\s+our\s+hotel",
            r"邀请函|担保函",
            r"\bcarta\s+de\s+invitaci[oó]n|\bcarta\s+(?:de\s+)?garant[ií]a|\bcarta\s+convite",
            r"\blettre\s+d'invitation|\blettre\s+de\s+garantie",
            r"\beinladungsschreiben|\bgarantieschreiben|\bvisum",
            r"\bприглашени\w+\s+для\s+визы|\bгарантийн\w+\s+письм",
            r"خطاب\s+دعوة|دعوة\s+(?:لل)?تأشيرة|خطاب\s+ضمان",
        ],
    ),
    "factory_visit_demand": (
        2.0,
        [
            r"\b(?:must|need\s+to|will|want\s+to)\s+(?:first\s+)?(?:visit|inspect)\s+your\s+factory|\bagent\s+(?:must|will)\s+inspect",
            r"\bbefore\s+(?:we\s+)?(?:place\s+)?(?:the\s+|any\s+)?order\s+we\s+must\s+visit|\bcontract\s+will\s+be\s+signed\s+in\s+your\s+factory",
            r"\bvisite\s+(?:de\s+)?votre\s+usine|\bвизит\s+на\s+(?:ваш\s+)?завод|\bприехать\s+на\s+ваш\s+завод",
        ],
    ),
    "credential_lure": (
        3.0,
        [
            r"\blog\s?-?in\s+(?:with\s+your|to\s+view)|\bsign\s+in\s+(?:with\s+your|to\s+view)|\bemail\s+password\b",
            r"\b(?:view|open|check|download)\s+(?:our|the)\s+(?:order|rfq|requirement|product|purchase)\s*(?:list|document|file|order)?\s+(?:through|via|at|in|on)\s+(?:the\s+)?(?:link|url)",
            r"\brequirement\s+list\s+through\s+the\s+link|\blink\s+below\b",
            r"企业邮箱登录|登录查看",
            r"\bZugangsdaten\b|\bmelden\s+Sie\s+sich\b|\bLink\s+herunter|\bfa[çc]a\s+login|\bsenha\b|\benlace\b|\blink\s+abaixo|\bvisualizar\s+pdf|\bconnectez-vous|\bmelden\s+sie\s+sich\s+(?:bitte\s+)?mit\s+ihrem\s+e-mail-passwort|\bпо\s+ссылке|الرابط\s+أدناه",
        ],
    ),
    "fake_tender": (
        1.5,
        [
            r"\b(?:may|might)\s+(?:fall\s+)?out(?:side)?\s+(?:of\s+)?your\s+scope|\bsource\s+for\s+the\s+products?\b",
            r"\b(?:products?|items?)\s+(?:listed\s+)?in\s+the\s+(?:attached\s+)?(?:pdf|file|document)|\bprodutos\s+listados\s+no\s+pdf|\bproductos\s+(?:listados\s+)?en\s+el\s+pdf",
            r"\bour\s+partner\s+recommended\s+your\s+company",
        ],
    ),
    "irrelevant_pitch": (
        3.0,
        [
            r"\bSEO\b|\branking\s+on\s+google|\bgoogle\s+page\s+1|\bwebsite\s+(?:design|redesign|development)|\bbacklinks?\b|\bdigital\s+marketing\s+services",
            r"\b(?:locked|renewal\s+of\s+the)\s+.{0,40}subscription|\bhelpline\s+number",
        ],
    ),
    "mass_greeting": (
        0.8,
        [
            r"\bdear\s+(?:sir|sirs|sir\s*/\s*madam|sir\s+or\s+madam|supplier|seller|friend|valued\s+supplier|purchasing\s+manager)\b|\bhello\s+dear\b|\bgood\s+day\b",
            r"尊敬的先生/女士|尊敬的供应商",
            r"\bestimado\s+(?:se[ñn]or/se[ñn]ora|proveedor)|\bprezado\s+(?:senhor|fornecedor)|\bmadame,\s+monsieur",
            r"\bsehr\s+geehrte\s+damen\s+und\s+herren|\bуважаемые\s+(?:господа|партн[её]ры)|السادة\s+الكرام|السيد\s+المحترم",
        ],
    ),
    "messenger_request": (0.7, [r"\bwhats\s?app\b|\bwechat\b|微信同号|\bviber\b|\btelegram\b"]),
    "urgency": (
        0.5,
        [
            r"\burgent(?:ly)?\b|\bimmediate(?:ly)?\b|\bwithin\s+48\s+hours\b|\bas\s+soon\s+as\s+possible|尽快|过期作废|urgente|\bсрочно",
        ],
    ),
}

# --- grading: C/D evidence ---------------------------------------------------------------
CERTIFICATIONS = re.compile(
    r"(?<![A-Za-z])(?:CE(?=[\s,./;)]|$)|RoHS|REACH|ISO\s?\d{3,5}|ISO(?=\s+cert)|FDA|UL(?:\s+listed)?(?=[\s,./;)]|$)|"
    r"FM\s+approved|ENEC|T[ÜU]V|IEC\s?\d{3,5}|EN\s?\d{3,5}|LM-?(?:79|80)|TM-?21|UN\s?38\.3|INMETRO|"
    r"SASO|BIS(?=[\s,./;)]|$)|CQC|CCC|WRAS|NSF|EAC|ЕАС|GOST|ГОСТ|KC(?=\s)|SGS|BSCI|OEKO-TEX|GOTS|"
    r"3\.1\s+cert\w*|certificat\w*\s+3\.1|EN\s?10204|IP6[5-8]|IK0\d|DALI)",
)
QUANTITY = re.compile(
    r"(?<![A-Za-z0-9.])(?:\d{1,3}(?:[ ,.\u00a0\u202f]\d{3})+|\d+)(?:\.\d+)?\s?"
    r"(?:pcs|pieces|units|sets|pairs|nos|metres|meters|metros?|Meter|m(?=\s)|kg|tons?|tonnes|MT|rolls|"
    r"cartons|MMBtu|Dth|MWh|panels|painéis|paneles|módulos|modules|inverters|nos\.?|qty|"
    r"containers?|x\s?(?:20|40)\s?(?:GP|HQ|ft)|(?:20|40)\s?(?:GP|HQ|'|ft)|MWp?|kW|uds\.?|unidades|"
    r"piezas|pe[çc]as|unidades|m[eè]tres|St[üu]ck|Stk|шт\.?|метр\w*|м(?=[\s.,])|件|个|套|台|米|吨|只|"
    r"قطعة|لوح|صمام|كيس)"
    r"|(?:qty|quantity|quantité|cantidad|quantidade|Menge|количество|数量|كمية|عدد)\s*[:.]?\s*\d"
    r"|(?<![\w])\d+\s?(?:x\s?)?(?:40|20)\s?(?:HQ|GP)\b|\b(?:one|two|three)\s+(?:40|20)\s?(?:HQ|GP|ft)",
    re.IGNORECASE,
)
MODEL = re.compile(
    r"(?<![A-Za-z0-9-])(?=[A-Z0-9-]*\d)(?=[A-Z0-9-]*[A-Z])[A-Z0-9][A-Z0-9]{0,6}-?[A-Z0-9]*[A-Z0-9](?![A-Za-z0-9-])"
)
SPEC = re.compile(
    r"(?<![A-Za-z0-9.])\d+(?:[.,]\d+)?\s?(?:W|kW|V|A|Ah|mAh|mm|cm|gsm|g/m²|g/m2|lm/W|K|Hz|bar|MPa|kWh|Wp|°|ml|mL|l|L|g|oz|TC)"
    r"(?![\w])|(?<![A-Za-z0-9.])\d+(?:[.,]\d+)?\s?(?:см|мм|Вт|кВт|В|г/м²)(?![\w])|\bDN\s?\d{2,4}\b|\bPN\s?\d{2}\b|\bSS\s?3\d\d\b|\bIP\d\d\b|\b\d+\s?(?:/\s?min|per\s+minute|por\s+minuto|par\s+minute|pro\s+Minute|в\s+минуту)\b|\bCRI\s?[>≥]?\s?\d\d|\bUGR\s?<?\s?\d\d",
)
PICTURE = re.compile(
    r"\b(?:attached|enclosed)\s+(?:picture|photo|image|drawing)|\bin\s+the\s+(?:attached\s+)?(?:picture|photo|image)|"
    r"图片|照片|foto\s+adjunta|la\s+foto|imagem|angehängten\s+foto|photo\s+ci-jointe|на\s+фото|الصورة",
    re.IGNORECASE,
)
PROFESSIONAL = re.compile(
    r"\bspare\s+parts?\s+list|\bpart\s+numbers?\b|\bP/N\b|\bannual\s+(?:volume|purchase|quantity|requirement)|"
    r"\bpurchase\s+list|\bbill\s+of\s+materials|\bBOM\b|\btechnical\s+(?:offer|specification|data)|"
    r"\bdatasheets?\b|\btest\s+reports?\b|\bFAT\b|\bdrawing|\bspecifications?\b|\bpayment\s+terms|\bconfirmed\s+LC|"
    r"备件|零件号|清单|年需求|技术参数|认证|"
    r"\bhojas?\s+t[ée]cnicas?|\bcertificad[oa]s?\b|\bficha\s+t[ée]cnica|\bespecificaciones|"
    r"\bcertifica[cç][aã]o|\blista\s+de\s+compras|\brefer[êe]ncias\b|"
    r"\bpi[èe]ces\s+de\s+rechange|\boffre\s+technique|\bconsultation\s+(?:annuelle|fournisseurs)|\bpcs/an\b|"
    r"\blastenheft|\bersatzteilliste|\bjahresbedarf|\bkonformitätserklärung|"
    r"\bЗИП\b|\bпаспорт\w*|\bтехническ\w+\s+задани\w*|\bсертификат\w*|\bпаспорт\w*\s+издели|\bспецификаци|\bпротокол\w*\s+испытани|"
    r"قطع\s+(?:ال)?غيار|شهادات?|مواصفات|عرضًا\s+فنيًا",
    re.IGNORECASE,
)
LEGAL_FORM = re.compile(
    r"\b(?:Ltd\.?|Limited|LLC|L\.L\.C\.|Inc\.?|Corp\.?|Corporation|Company|Co\.,?\s?Ltd|GmbH|AG|KG|S\.A\.|SA|"
    r"S\.L\.|SL|SAS|SARL|S\.A\.R\.L\.|Ltda\.?|S\.p\.A\.|B\.V\.|A/S|AB|Pvt\.?|Pty|PLC|Sdn\s+Bhd|"
    r"LLP|OOO|ООО|АО|ЗАО|ПАО)\b|有限公司|有限责任公司|شركة|Engenharia|Constructora|Contracting",
)
ADDRESS = re.compile(
    r"\b\d{1,5}[A-Za-z]?\s+(?:[A-Z][\w.'-]+\s){0,4}(?:Street|St\.|Road|Rd\.?|Avenue|Ave\.?|Drive|Lane|Way|"
    r"Boulevard|Blvd|Park|Square|Place)\b|\b(?:Unit|Suite|Floor)\s+\d|"
    r"\b(?:Calle|Avenida|Av\.|Rua|Rue|Rua\s+do|Zone\s+industrielle|Stra(?:ß|ss)e|straße|weg|Hafenstraße|"
    r"Industriestraße|ул\.|улица|пр-т|проспект|д\.\s?\d|طريق|شارع|حي|المنطقة\s+الصناعية)\b|"
    r"\b[Ss]tra(?:ß|ss)e\s+\d|[\w-]+(?:straße|strasse|weg|gasse|platz)\s+\d|"
    r"省|市.{0,6}区|路\s?\d+\s?号|街道|"
    r"\b\d{5}(?:-\d{3,4})?\s+[A-Z][a-z]+|\b[A-Z]{1,2}\d{1,2}[A-Z]?\s\d[A-Z]{2}\b|\b\d{6},?\s+г\.",
)
PHONE = re.compile(
    r"(?:\b(?:tel|phone|ph|mob|mobile|fax|office|t|m|тел|هاتف|电话|手机)\b\.?\s*:?\s*|\+)\s?[\d(][\d\s().-]{6,}\d",
    re.IGNORECASE,
)
WEBSITE = re.compile(r"\b(?:www\.[a-z0-9-]+(?:\.[a-z0-9-]+)+|https?://[a-z0-9.-]+)", re.IGNORECASE)
TITLE = re.compile(
    r"\b(?:buyer|purchasing|procurement|purchase|sourcing|category|manager|director|head\s+of|"
    r"president|CEO|owner|engineer|Einkauf|Einkäufer\w*|Leiter|Produktmanager\w*|Acheteur|Responsable|"
    r"Gerente|Jefe|Diretor\w*|Gerente\s+de\s+Suprimentos|Directora?|Начальник|Менеджер|Директор)\b|"
    r"采购部?经理|采购专员|经理|مدير\w*",
    re.IGNORECASE,
)
FREE_HOSTING = re.compile(
    r"https?://[^\s/]*(?:web\.app|firebaseapp\.com|weebly\.com|wixsite\.com|000webhostapp\.com|"
    r"blogspot\.|sites\.google\.com|github\.io|glitch\.me|netlify\.app|vercel\.app|pages\.dev|"
    r"ipfs\.|r2\.dev|workers\.dev|square\.site|webflow\.io|myshopify\.com|jimdo|yolasite|"
    r"godaddysites\.com|ngrok)",
    re.IGNORECASE,
)
REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|aw|antw|sv|vs|res|rif|odp|ynt|r|回复|答复|回覆|رد|ответ|отв)\s*(?:\[\d+\])?\s*[:：]\s*)+",
    re.IGNORECASE,
)
FORWARD_PREFIX = re.compile(
    r"^\s*(?:(?:fw|fwd|wg|tr|rv|enc|i|转发|轉寄|пересл|الأمام)\s*[:：]\s*)+", re.IGNORECASE
)


def compile_lexicon(lex: _Lex) -> list[tuple[str, float, re.Pattern[str]]]:
    """``[(signal, weight, regex)]``, one alternation per signal."""
    return [
        (name, weight, re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE))
        for name, (weight, patterns) in lex.items()
    ]


# Document mentions: "see attached file: X.doc", "<<RFP.doc>>", " - BidForm.xls" (attachment
# stubs left by Lotus Notes/Outlook when the file was stripped), "attached is the RFP".
DOCUMENT_MENTION = re.compile(
    r"\(see\s+attached\s+file:|<<[^>]{3,80}\.(?:docx?|xlsx?|pdf|zip|rtf)>>|"
    r"^\s*-\s+[^\n]{2,80}\.(?:docx?|xlsx?|pdf|zip|rtf)\s*$|"
    r"\b(?:attached|enclosed)\s+(?:is|are|please\s+find)?\s*(?:the\s+|our\s+|a\s+)?(?:RFP|RFQ|request|bid|profile|specification|list|drawing|tender)|"
    r"\b(?:respond|reply)\s+to\s+the\s+attached|附件(?:中的|里的)?(?:采购|询价|清单|图纸)",
    re.IGNORECASE | re.MULTILINE,
)
TEMPLATE_LEFTOVER = re.compile(
    r"%\{\w+\}|\{\{\s*\w+\s*\}\}|\[(?:FIRST_?NAME|NAME|EMAIL|COMPANY)\]", re.I
)
