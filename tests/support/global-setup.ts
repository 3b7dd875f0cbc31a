// Replaced by the database harness.
export default async function setup(): Promise<void> {}
