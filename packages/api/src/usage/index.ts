/** Usage: agent calls per day, for subscribers and for publishers. */
export { publisherStats, usageChart } from "./usage-chart.ts";
export { subscriberUsage, usageQuery } from "./usage-report.ts";
export { claimShare, sweepShareReceipts } from "./share-cap.ts";
