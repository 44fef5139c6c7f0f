"""ISO 4217 currency codes: the one currency check of the project.

`check_currency(code, where)` is called wherever a currency enters (scenario
`currency:` and `fx:` keys, catalog entries, `Money` itself), so a typo like `USX` or a
made-up `XYZ` fails with one line naming where it came from.

Source: ISO 4217 "List One: Currency, fund and precious metal codes" as published by
the maintenance agency (SIX Group, https://www.six-group.com/en/products-services/
financial-information/data-standards.html), active alphabetic codes as of 2025-01-01
(incl. XCG, the Caribbean guilder of 2025; historic codes such as HRK or SLL are not in it).
"""

from __future__ import annotations

from infercost.errors import InputError

ISO_4217: frozenset[str] = frozenset("""
AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BHD BIF BMD BND BOB BOV BRL BSD BTN BWP
BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN
ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK
JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD
MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP
PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP
SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV
WST XAF XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XTS XUA XXX YER ZAR ZMW
ZWG
""".split())


def currency_problem(code: object) -> str | None:
    """None for an ISO 4217 alphabetic code, else what is wrong (without the value).

    Upper case only (ISO 4217 codes are upper case; `usd` gets a did-you-mean).
    """
    if isinstance(code, str) and code in ISO_4217:
        return None
    hint = ""
    if isinstance(code, str) and code.upper() in ISO_4217:
        hint = f"; did you mean {code.upper()!r}?"
    return f"must be an ISO 4217 code like USD or EUR{hint}"


def check_currency(code: object, where: str | None = None) -> str:
    """Return `code` if it is an ISO 4217 alphabetic code, else raise InputError."""
    problem = currency_problem(code)
    if problem is None:
        return code  # type: ignore[return-value]
    raise InputError(f"currency {problem} (got {code!r})", where)
