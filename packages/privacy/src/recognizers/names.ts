import type { Recognizer } from "../entities.ts";
import { patternRecognizer } from "./pattern.ts";

/**
 * The built-in PERSON and LOCATION recogniser: honorifics, common given names followed by a
 * capitalised surname, introductions ("my name is …"), street addresses and a gazetteer of
 * countries and large cities. A heuristic, measured as such (see the quality test); an ONNX
 * token-classification model does better where one is configured.
 */
const GIVEN_NAMES =
  `James John Robert Michael William David Richard Joseph Thomas Charles Christopher Daniel Matthew
Anthony Mark Donald Steven Paul Andrew Joshua Kenneth Kevin Brian George Timothy Ronald Edward Jason Jeffrey Ryan Jacob
Gary Nicholas Eric Jonathan Stephen Larry Justin Scott Brandon Benjamin Samuel Gregory Alexander Patrick Frank Raymond
Jack Dennis Jerry Tyler Aaron Jose Adam Nathan Henry Peter Zachary Douglas Harold Kyle Noah Ethan Jeremy Walter Christian
Keith Roger Terry Austin Sean Gerald Carl Dylan Harry Jordan Bryan Lawrence Arthur Gabriel Bruce Logan Albert Willie Alan
Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Betty Sandra Margaret Ashley Kimberly
Emily Donna Michelle Carol Amanda Melissa Deborah Stephanie Dorothy Rebecca Sharon Laura Cynthia Amy Kathleen Angela
Shirley Brenda Emma Anna Pamela Nicole Samantha Katherine Christine Helen Debra Rachel Carolyn Janet Maria Catherine
Heather Diane Olivia Julie Joyce Victoria Ruth Virginia Lauren Kelly Christina Joan Evelyn Judith Andrea Hannah Megan
Cheryl Jacqueline Martha Madison Teresa Gloria Sara Janice Ann Kathryn Abigail Sophia Frances Jean Alice Judy Isabella
Julia Grace Amber Denise Danielle Marilyn Beverly Charlotte Natalie Theresa Diana Brittany Doris Kayla Alexis Lori Marie
Mohammed Muhammad Ahmed Ali Omar Fatima Aisha Yusuf Ibrahim Hassan Wei Li Ming Hiroshi Yuki Haruto Sakura Kenji Akira
Raj Priya Arjun Ananya Rahul Deepak Sanjay Anil Sunita Lakshmi Carlos Juan Luis Miguel Javier Sofia Lucia Camila Valentina
Mateo Diego Pablo Tomas Tomás Mikael Anders Nils Johan Hans Klaus Jürgen Stefan Wolfgang Anke Ingrid Sven Lars Erik Astrid Pierre Jean-Luc François Marie-Claire
Giulia Francesco Alessandro Marco Giovanni Olga Ivan Dmitri Sergei Natalia Tatiana Kwame Amara Chinedu Ngozi Oluwaseun`
    .split(/\s+/)
    .filter(Boolean);

const COUNTRIES =
  `Afghanistan Albania Algeria Argentina Armenia Australia Austria Azerbaijan Bangladesh Belarus Belgium Bolivia
Brazil Bulgaria Cambodia Cameroon Canada Chile China Colombia Croatia Cuba Cyprus Czechia Denmark Ecuador Egypt Estonia
Ethiopia Finland France Georgia Germany Ghana Greece Guatemala Hungary Iceland India Indonesia Iran Iraq Ireland Israel
Italy Jamaica Japan Jordan Kazakhstan Kenya Korea Kuwait Latvia Lebanon Libya Lithuania Luxembourg Malaysia Mali Malta
Mexico Moldova Mongolia Morocco Mozambique Myanmar Nepal Netherlands Nigeria Norway Oman Pakistan Panama Paraguay Peru
Philippines Poland Portugal Qatar Romania Russia Rwanda Senegal Serbia Singapore Slovakia Slovenia Somalia Spain Sudan
Sweden Switzerland Syria Taiwan Tanzania Thailand Tunisia Turkey Uganda Ukraine Uruguay Uzbekistan Venezuela Vietnam
Yemen Zambia Zimbabwe`
    .split(/\s+/)
    .filter(Boolean);

const CITIES =
  `London Paris Berlin Madrid Rome Vienna Prague Warsaw Budapest Amsterdam Brussels Lisbon Dublin Copenhagen
Stockholm Oslo Helsinki Athens Istanbul Moscow Kyiv Zurich Geneva Munich Hamburg Frankfurt Cologne Milan Naples Barcelona
Valencia Seville Porto Lyon Marseille Toulouse Manchester Birmingham Liverpool Edinburgh Glasgow Cardiff Belfast Tokyo
Osaka Kyoto Seoul Beijing Shanghai Shenzhen Guangzhou Mumbai Delhi Bangalore Chennai Kolkata Karachi Lahore Dhaka Jakarta
Manila Bangkok Hanoi Singapore Sydney Melbourne Brisbane Perth Auckland Wellington Toronto Montreal Vancouver Ottawa
Calgary Chicago Houston Phoenix Philadelphia Dallas Austin Seattle Denver Boston Atlanta Miami Detroit Portland Baltimore
Nairobi Lagos Cairo Johannesburg Casablanca Accra Dakar Lima Bogota Santiago Quito Caracas Havana`
    .split(/\s+/)
    .filter(Boolean);

const MULTI_WORD_PLACES = [
  "New York",
  "Los Angeles",
  "San Francisco",
  "San Diego",
  "Las Vegas",
  "New Delhi",
  "Hong Kong",
  "Mexico City",
  "Buenos Aires",
  "Rio de Janeiro",
  "Sao Paulo",
  "São Paulo",
  "Cape Town",
  "Tel Aviv",
  "Kuala Lumpur",
  "United States",
  "United Kingdom",
  "South Africa",
  "New Zealand",
  "Saudi Arabia",
  "United Arab Emirates",
  "Costa Rica",
  "Sri Lanka",
  "South Korea",
  "North Carolina",
  "South Carolina",
  "New Jersey",
  "New Mexico",
];

const GIVEN = new Set(GIVEN_NAMES);
const PLACES = new Set([...COUNTRIES, ...CITIES]);
const PLACE_CONTEXT = ["in", "at", "from", "to", "near", "lives", "moved", "based", "born", "visited"];
const words = (list: string[]) => list.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|");
/** Capitalised words that follow a given name without being a surname ("Grace Period", "Victoria Station"). */
const NOT_SURNAMES =
  "Station|Period|Power|Street|Road|Avenue|Park|Hall|House|Bridge|Square|Centre|Center|Hospital|University|College|School|Airport|Day|Week|Month|Report|Project|Group|Team|Company|Bank|Falls|Island|Lake|River|Mountain|Theatre|Museum";
const SURNAME = String.raw`(?!(?:${NOT_SURNAMES})\b)[A-Z][a-z]+(?:[-'][A-Z][a-z]+)?`;

const honorific = patternRecognizer({
  name: "person-honorific",
  requires: /\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame|Madam)\b/,
  type: "PERSON",
  pattern: new RegExp(
    String.raw`\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame|Madam)\.? (?<value>[A-Z][a-z]+(?: ${SURNAME})?)\b`,
    "g",
  ),
  score: 0.85,
});

const givenAndSurname = patternRecognizer({
  name: "person-given-name",
  type: "PERSON",
  // Any capitalised pair, then a set lookup: far cheaper than an alternation of hundreds of names.
  pattern: new RegExp(
    String.raw`\b(?<given>\p{Lu}\p{Ll}+(?:-\p{Lu}\p{Ll}+)?) (?:[A-Z]\. )?${SURNAME}\b`,
    "gu",
  ),
  requires: /\p{Lu}\p{Ll}+ \p{Lu}/u,
  validate: (_value, m) => GIVEN.has(m.groups!.given!),
  score: 0.7,
  context: [
    "said",
    "wrote",
    "told",
    "patient",
    "client",
    "customer",
    "employee",
    "contact",
    "name",
    "by",
    "with",
    "dear",
  ],
});

const introduced = patternRecognizer({
  name: "person-introduced",
  requires: /\b(?:name|named|called|I am|I'm|signed|regards|sincerely)\b/i,
  type: "PERSON",
  pattern: new RegExp(
    String.raw`\b(?:my name is|name:|named|called|I am|I'm|signed,?|regards,?|sincerely,?)\s+(?<value>[A-Z][a-z]+(?: ${SURNAME})?)\b`,
    "g",
  ),
  score: 0.75,
});

/** Two capitalised words that the sentence marks as a person: "written by X Y", "X Y said". */
const byRole = patternRecognizer({
  name: "person-by-role",
  requires: /\b(?:by|according|thanks|said|says|wrote|told|asked|replied|confirmed|explained)\b/,
  type: "PERSON",
  pattern: new RegExp(
    String.raw`\b(?:(?:written|reviewed|signed|prepared|approved|sent|reported|led) by|according to|thanks to)\s+(?<value>[A-Z][a-z]+ ${SURNAME})\b|\b(?<said>[A-Z][a-z]+ ${SURNAME}) (?=(?:said|says|wrote|told|asked|replied|confirmed|explained)\b)`,
    "g",
  ),
  score: 0.7,
});

const streetAddress = patternRecognizer({
  name: "street-address",
  requires: /\d \p{Lu}/u,
  type: "LOCATION",
  pattern:
    /\b\d{1,5} (?:[A-Z][a-z]+ ){1,3}(?:Street|St\.|Avenue|Ave\.|Road|Rd\.|Lane|Ln\.|Boulevard|Blvd\.|Drive|Dr\.|Way|Court|Ct\.|Place|Pl\.|Square|Terrace|Close|Crescent)(?:,? (?:Apt|Suite|Unit) \w+)?/g,
  score: 0.85,
});

const multiWordPlace = patternRecognizer({
  name: "place-name-multi",
  type: "LOCATION",
  pattern: new RegExp(String.raw`\b(?:${words(MULTI_WORD_PLACES)})\b`, "g"),
  requires: /\p{Lu}\p{Ll}+ (?:de )?\p{Lu}/u,
  score: 0.6,
  context: PLACE_CONTEXT,
});

const placeName = patternRecognizer({
  name: "place-name",
  type: "LOCATION",
  pattern: /\b\p{Lu}\p{Ll}+\b/gu,
  validate: (value) => PLACES.has(value),
  score: 0.6,
  context: PLACE_CONTEXT,
});

export const PEOPLE_AND_PLACES: Recognizer[] = [
  honorific,
  givenAndSurname,
  introduced,
  byRole,
  streetAddress,
  multiWordPlace,
  placeName,
];
