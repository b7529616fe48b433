/**
 * The ISO 4217 currencies a listing may be priced in: those Stripe charges in, each with its
 * minor-unit exponent as Stripe's API counts amounts (JPY has no minor unit, KWD has three). An
 * amount in minor units is read and written digit by digit with it, never through a float.
 */
const ZERO_DECIMAL = "bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf";
const THREE_DECIMAL = "bhd jod kwd omr tnd";
const TWO_DECIMAL =
  "aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bmd bnd bob brl bsd bwp byn bzd cad cdf " +
  "chf cny cop crc cve czk dkk dop dzd egp etb eur fjd fkp gbp gel gip gmd gtq gyd hkd hnl htg huf " +
  "idr ils inr isk jmd kes kgs khr kyd kzt lak lbp lkr lrd lsl mad mdl mkd mmk mnt mop mur mvr mwk " +
  "mxn myr mzn nad ngn nio nok npr nzd pab pen pgk php pkr pln qar ron rsd rub sar sbd scr sek sgd " +
  "shp sle sos srd std szl thb tjs top try ttd twd tzs uah usd uyu uzs wst xcd yer zar zmw";

export type MinorExponent = 0 | 2 | 3;

const EXPONENTS: ReadonlyMap<string, MinorExponent> = new Map([
  ...ZERO_DECIMAL.split(" ").map((c) => [c, 0] as const),
  ...TWO_DECIMAL.split(" ").map((c) => [c, 2] as const),
  ...THREE_DECIMAL.split(" ").map((c) => [c, 3] as const),
]);

/** Every currency code a price may name, lower case as Stripe takes them. */
export const CURRENCIES: readonly string[] = [...EXPONENTS.keys()].sort();

export const isCurrency = (code: string): boolean => EXPONENTS.has(code);

/** How many decimal digits the currency's minor unit has (2 for an unknown code, as most have). */
export const minorExponent = (currency: string): MinorExponent => EXPONENTS.get(currency.toLowerCase()) ?? 2;
