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
import reference from "../../rules/data/reference.json?raw";

export const POLICIES = {
  onboarding: { label: "Supplier onboarding baseline", source: onboarding, supplier: onboardingSupplier },
  "green-procurement": { label: "Green procurement", source: green, supplier: greenSupplier },
  "conflict-minerals": { label: "Conflict minerals", source: minerals, supplier: mineralsSupplier },
  "strategic-supplier": { label: "Strategic supplier", source: strategic, supplier: strategicSupplier },
};

export const REFERENCE_DATA = reference;

