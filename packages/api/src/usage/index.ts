/** Usage: agent calls per day, for subscribers and for publishers. */
export { publisherStats, usageReport } from "./usage-report.ts";
export { subscriberUsage, usageQuery } from "./usage-spend.ts";
