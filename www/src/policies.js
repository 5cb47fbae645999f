// The policies of rules/ with their sample suppliers, bundled at build time: the playground
// needs no server beyond static files.
import onboarding from "../../rules/onboarding.policy?raw";
import onboardingSupplier from "../../rules/data/onboarding-supplier.json?raw";
import green from "../../rules/green-procurement.policy?raw";
import greenSupplier from "../../rules/data/green-procurement-supplier.json?raw";
import minerals from "../../rules/conflict-minerals.policy?raw";
import mineralsSupplier from "../../rules/data/conflict-minerals-supplier.json?raw";
import strategic from "../../rules/strategic-supplier.policy?raw";
import strategicSupplier from "../../rules/data/strategic-supplier-supplier.json?raw";
import socialAudit from "../../rules/social-audit.policy?raw";
import socialAuditSupplier from "../../rules/data/social-audit-supplier.json?raw";
import chemicals from "../../rules/chemical-substances.policy?raw";
import chemicalsSupplier from "../../rules/data/chemical-substances-supplier.json?raw";
import certificates from "../../rules/certificates.policy?raw";
import certificatesSupplier from "../../rules/data/certificates-supplier.json?raw";
import ecovadis from "../../rules/ecovadis-scorecard.policy?raw";
import ecovadisSupplier from "../../rules/data/ecovadis-scorecard-supplier.json?raw";
import fairTransactions from "../../rules/fair-transactions.policy?raw";
import fairTransactionsSupplier from "../../rules/data/fair-transactions-supplier.json?raw";
import cmrtQuality from "../../rules/cmrt-quality.policy?raw";
import cmrtQualitySupplier from "../../rules/data/cmrt-quality-supplier.json?raw";
import reference from "../../rules/data/reference.json?raw";

export const POLICIES = {
  onboarding: { label: "Supplier onboarding baseline", source: onboarding, supplier: onboardingSupplier },
  "green-procurement": { label: "Green procurement", source: green, supplier: greenSupplier },
  "conflict-minerals": { label: "Conflict minerals", source: minerals, supplier: mineralsSupplier },
  "strategic-supplier": { label: "Strategic supplier", source: strategic, supplier: strategicSupplier },
  "social-audit": { label: "Social audits", source: socialAudit, supplier: socialAuditSupplier },
  "chemical-substances": { label: "Chemical substances", source: chemicals, supplier: chemicalsSupplier },
  certificates: { label: "Certificates", source: certificates, supplier: certificatesSupplier },
  "ecovadis-scorecard": { label: "EcoVadis scorecard", source: ecovadis, supplier: ecovadisSupplier },
  "fair-transactions": { label: "Fair transactions", source: fairTransactions, supplier: fairTransactionsSupplier },
  "cmrt-quality": { label: "CMRT data quality", source: cmrtQuality, supplier: cmrtQualitySupplier },
};

export const REFERENCE_DATA = reference;

