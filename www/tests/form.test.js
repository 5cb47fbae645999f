// The supplier registration form in Chromium: feedback after every answer.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useBrowser, open, snap } from "./support.js";

const context = useBrowser();

const verdict = (page) => page.textContent("#verdict");
const feedback = (page, group) => page.textContent(`[data-feedback="${group}"]`);

test("the supplier form gives feedback on every answer, next to the answer", async () => {
  const page = await open(context.browser, context.server.url + "form.html");

  // Nothing answered: every question the policy needs is listed.
  assert.equal(
    await verdict(page),
    "to decide we still need: your country, what you supply, the expected yearly volume, " +
      "your answer on the Code of Conduct, whether your products contain 3TG or cobalt",
  );
  assert.equal(await feedback(page, "country"), "to decide we still need: your country");
  await snap(page, "form-empty");

  await page.locator("#name").pressSequentially("Nordisk Komponent A/S");
  assert.match(await verdict(page), /^to decide we still need: your country,/);

  // Key by key: `D` is no country code yet, `DK` is.
  await page.locator("#country").pressSequentially("D");
  assert.equal(await feedback(page, "country"), "to decide we still need: a known country code (`D` is not one)");
  await page.locator("#country").pressSequentially("K");
  assert.equal(await feedback(page, "country"), "✓");
  assert.match(await verdict(page), /^to decide we still need: what you supply,/);

  // A manufacturer without ISO 14001 or EMAS is not eligible, whatever else is missing.
  await page.selectOption("#category", "manufacturing");
  assert.equal(await verdict(page), "not eligible: manufacturing suppliers must hold ISO 14001 or EMAS");
  assert.equal(await feedback(page, "certifications"), "not eligible: manufacturing suppliers must hold ISO 14001 or EMAS");
  // What would make the supplier eligible, from the report's remedies.
  assert.equal(await page.textContent("#eligible"), "to become eligible: your certifications must include ISO14001 or EMAS");
  await snap(page, "form-not-eligible");

  await page.locator("#annual_spend").pressSequentially("800000");
  await page.check('input[name="certifications"][value="ISO14001"]');
  assert.equal(await feedback(page, "certifications"), "✓");
  assert.equal(
    await verdict(page),
    "to decide we still need: your answer on the Code of Conduct, your EcoVadis scores, whether your products contain 3TG or cobalt",
  );
  // Strategic spend makes the optional EcoVadis assessment necessary.
  assert.equal(await feedback(page, "ecovadis"), "to decide we still need: your EcoVadis scores");

  await page.check('input[name="guidelines_confirmed"][value="no"]');
  assert.equal(await feedback(page, "guidelines_confirmed"), "needs review: written confirmation of the Supplier Code of Conduct is missing");
  await page.check('input[name="guidelines_confirmed"][value="yes"]');
  assert.equal(await feedback(page, "guidelines_confirmed"), "✓");

  await page.check('input[name="uses_minerals"][value="no"]');
  assert.equal(await verdict(page), "to decide we still need: your EcoVadis scores");

  // One score is not enough: the others are named one by one.
  await page.locator('input[name="ecovadis.environment"]').pressSequentially("70");
  assert.equal(
    await feedback(page, "ecovadis"),
    "to decide we still need: your EcoVadis ethics score, your EcoVadis labor human rights score, your EcoVadis sustainable procurement score",
  );
  await snap(page, "form-partial");
  await page.locator('input[name="ecovadis.labor_human_rights"]').pressSequentially("60");
  await page.locator('input[name="ecovadis.ethics"]').pressSequentially("55");
  await page.locator('input[name="ecovadis.sustainable_procurement"]').pressSequentially("50");
  assert.equal(await verdict(page), "eligible");
  assert.equal(await page.getAttribute("#verdict", "data-decision"), "approve");
  assert.equal(await page.isHidden("#eligible"), true);
  await snap(page, "form-eligible");

  // Smelters: an active (not yet conformant) tantalum smelter needs review.
  await page.check('input[name="uses_minerals"][value="yes"]');
  await page.click("#add-smelter");
  assert.equal(await feedback(page, "smelters"), "to decide we still need: the metal of smelter 1, the RMAP status of smelter 1");
  const row = page.locator("#smelters tbody tr").first();
  await row.locator('[name="id"]').pressSequentially("CID002183");
  await row.locator('[name="metal"]').selectOption("tantalum");
  await row.locator('[name="rmap_status"]').selectOption("active");
  assert.equal(await verdict(page), "to decide we still need: the date of your CMRT");
  await page.fill("#cmrt_date", "2020-01-31");
  assert.equal(await verdict(page), "needs review: smelters not RMAP conformant: CID002183");
  assert.equal(await feedback(page, "smelters"), "needs review: smelters not RMAP conformant: CID002183");
  assert.equal(
    await page.textContent("#eligible"),
    "to become eligible: the metal of smelter 1 must not be tin, tantalum, tungsten, gold or cobalt " +
      "or the RMAP status of smelter 1 must be conformant",
  );
  assert.match(await feedback(page, "cmrt_date"), /^note: CMRT dated 2020-01-31 is older than 12 months/);
  await snap(page, "form-review");

  // A sanctioned country rejects, and says so next to the country.
  await page.fill("#country", "RU");
  assert.match(await verdict(page), /^not eligible: RU is under sanctions/);
  assert.match(await feedback(page, "country"), /not eligible: RU is under sanctions/);
  assert.match(await feedback(page, "country"), /needs review: CPI 22 of RU is below 40/);
  assert.deepEqual(page.problems, []);
  await page.close();
});
