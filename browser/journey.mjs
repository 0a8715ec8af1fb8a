// A newcomer's journey through logis in Debian's Chromium (Playwright), against the real server
// started by crates/web/tests/browser.rs on the demo territory. Every page visited is checked by
// axe-core (WCAG 2.1 A and AA rules): one violation fails the journey.
//
// Environment: LOGIS_URL (server), LOGIS_PASSWORD (demo accounts' password), LOGIS_CHROMIUM
// (browser executable), LOGIS_DOWNLOADS (a directory for downloaded files).

import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const require = createRequire(import.meta.url);
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const BASE = process.env.LOGIS_URL;
const PASSWORD = process.env.LOGIS_PASSWORD;
const DOWNLOADS = process.env.LOGIS_DOWNLOADS ?? fs.mkdtempSync('/tmp/logis-');
assert.ok(BASE, 'LOGIS_URL manquant');
assert.ok(PASSWORD, 'LOGIS_PASSWORD manquant');

const checked = new Set();
/** Pages wider than the window, said all together at the end of the journey. */
const tooWide = [];

/** Run axe-core on the current page; throw with the list of violations. */
async function axe(page, what) {
  // Every caller waits for the page it means (URL or element) first; a document still loading
  // would be checked half-built, so wait for it to be parsed as well.
  await page.waitForLoadState('domcontentloaded');
  // The page's CSP forbids inline scripts: the context bypasses CSP for axe only.
  await page.evaluate(AXE);
  const result = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }),
  );
  const v = result.violations;
  if (v.length > 0) {
    const lines = v.map(
      (x) => `  - ${x.id} (${x.impact}) : ${x.help}\n${x.nodes.slice(0, 5).map((n) => `      ${n.target.join(' ')} — ${n.failureSummary?.split('\n').join(' ')}`).join('\n')}`,
    );
    throw new Error(`axe-core : ${v.length} violation(s) sur ${what}\n${lines.join('\n')}`);
  }
  await fitsWindow(page, what);
  checked.add(what);
}

/** No page is wider than the window, on a desktop (1,280 px) or a phone (375 px): a wide table
 * scrolls in its own frame, the page does not. */
async function fitsWindow(page, what) {
  try {
    for (const width of [1280, 375]) {
      await page.setViewportSize({ width, height: 800 });
      const over = await page.evaluate(() => {
        const win = document.documentElement.clientWidth;
        if (document.documentElement.scrollWidth <= win) return null;
        // The outermost elements that pass the right edge, to say what to mend.
        const culprits = [];
        for (const el of document.querySelectorAll('body *')) {
          const r = el.getBoundingClientRect();
          let inFrame = false;
          for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
            if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(a).overflowX)) inFrame = true;
          }
          if (!inFrame && r.right > win + 1 && !(el.parentElement && el.parentElement.getBoundingClientRect().right > win + 1)) {
            culprits.push(`${el.tagName.toLowerCase()}${el.className ? '.' + String(el.className).split(' ').join('.') : ''} (${Math.round(r.right)} px)`);
          }
        }
        return `${document.documentElement.scrollWidth} px pour ${win} px : ${culprits.slice(0, 5).join(', ')}`;
      });
      if (over) tooWide.push(`${what} (${width} px) : ${over}`);
    }
  } finally {
    await page.setViewportSize({ width: 1280, height: 800 });
  }
}

/** Open `p`, expect a successful HTML page, check it with axe. */
async function visit(page, p, { status = 200 } = {}) {
  const res = await page.goto(BASE + p);
  assert.equal(res.status(), status, `${p} : statut ${res.status()}`);
  await axe(page, p);
  return res;
}

function step(name) {
  console.log(`• ${name}`);
}

const browser = await chromium.launch({
  executablePath: process.env.LOGIS_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
try {
  const context = await browser.newContext({ bypassCSP: true, acceptDownloads: true, locale: 'fr-FR', viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));

  step('la page de connexion');
  await visit(page, '/');
  assert.match(page.url(), /\/connexion/);
  await page.getByLabel('Identifiant').fill('admin');
  await page.getByLabel('Mot de passe').fill('mauvais mot de passe');
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.getByRole('alert').waitFor();
  await axe(page, 'connexion refusée');
  await page.getByLabel('Identifiant').fill('admin');
  await page.getByLabel('Mot de passe').fill(PASSWORD);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.waitForURL(BASE + '/');
  await axe(page, 'tableau de bord');

  step('le tableau de bord du programme');
  const chart = page.getByRole('img', { name: /logements prévus et livrés par année/ });
  await chart.waitFor();
  const yearRows = page.getByRole('table', { name: /logements par année/ }).locator('tbody tr');
  assert.equal(await yearRows.count(), 11, 'Dunkerque 2030 : 2024 à 2034');
  assert.equal(await chart.locator('rect[fill="#8fcad6"]').count(), 11);
  await page.screenshot({ path: path.join(DOWNLOADS, 'tableau.png'), fullPage: true });
  await page.getByLabel('Programme', { exact: true }).selectOption({ label: 'ERBM' });
  await page.getByRole('button', { name: 'Afficher' }).click();
  await page.waitForURL(/programme=/);
  await axe(page, 'tableau de bord ERBM');

  step('les pages principales');
  for (const p of ['/operations', '/rapports', '/carte', '/referentiel', '/communes?q=dunk', '/compte', '/admin/utilisateurs', '/import']) {
    await visit(page, p);
  }
  for (const name of ['production', 'rehabilitation', 'renouvellement', 'financement', 'reequilibrage', 'programme']) {
    await visit(page, `/rapports/${name}`);
  }
  await visit(page, '/page-inconnue', { status: 404 });

  step('les tableaux de 2005 tels que publiés : anciennes communes à part');
  await page.goto(BASE + '/rapports/rehabilitation');
  await page.getByLabel('Communes', { exact: true }).selectOption({ label: "telles qu'écrites (anciennes communes à part)" });
  await page.getByRole('button', { name: 'Afficher' }).click();
  await page.waitForURL(/communes=origine/);
  await axe(page, 'réhabilitations, communes telles qu\'écrites');
  const asWritten = await page.locator('table.report').textContent();
  assert.match(asWritten, /Saint-Pol-sur-Mer/);
  assert.match(asWritten, /Fort-Mardyck/);

  step('filtrer les opérations, état dans l\'adresse');
  await page.goto(BASE + '/operations');
  await page.getByLabel('Bailleur').selectOption({ label: 'Vilogia' });
  await page.getByLabel('Année, de').fill('2026');
  await page.getByLabel('à', { exact: true }).fill('2027');
  await page.getByRole('button', { name: 'Filtrer' }).click();
  await page.waitForURL(/annee_min=2026/);
  assert.match(page.url(), /bailleur=\d+/);
  assert.match(page.url(), /annee_max=2027/);
  await axe(page, 'opérations filtrées');
  const landlords = await page.locator('tbody tr td:first-child').allTextContents();
  assert.ok(landlords.length > 0, 'des lignes Vilogia 2026-2027 sont attendues');
  assert.ok(landlords.every((t) => t === 'Vilogia'), `lignes d'un autre bailleur : ${landlords}`);
  const years = await page.locator('tbody tr td:nth-child(9)').allTextContents();
  assert.ok(years.every((y) => y === '2026' || y === '2027'), `années hors filtre : ${years}`);
  // Sort by dwellings, largest first (second click); the address keeps the filters.
  await page.getByRole('link', { name: 'Logements', exact: true }).click();
  await page.waitForURL(/tri=logements/);
  await page.getByRole('link', { name: 'Logements', exact: true }).click();
  await page.waitForURL(/ordre=desc/);
  assert.match(page.url(), /bailleur=\d+/);
  const counts = (await page.locator('tbody tr td:nth-child(8)').allTextContents()).map((t) => Number(t.replace(/\s/g, '')));
  assert.deepEqual(counts, [...counts].sort((a, b) => b - a), 'tri décroissant des logements');
  // The same address gives the same list (bookmark).
  const status = await page.getByRole('status').textContent();
  await page.goto(page.url());
  assert.equal(await page.getByRole('status').textContent(), status);
  // A bad year is said next to its field and in the summary.
  await page.goto(BASE + '/operations?annee_min=deux-mille');
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').textContent(), /deux-mille/);
  assert.equal(await page.getByLabel('Année, de').getAttribute('aria-invalid'), 'true');
  await axe(page, 'filtre en erreur');

  step('créer une opération (une erreur, puis corrigée)');
  await page.goto(BASE + '/operations');
  await page.getByRole('link', { name: 'Nouvelle opération' }).click();
  await page.waitForURL(/\/operations\/nouvelle/);
  await axe(page, 'formulaire de création');
  await page.getByLabel('Bailleur *').selectOption({ label: 'Vilogia' });
  await page.getByLabel(/^Référence/).fill('VIL-PARCOURS-1');
  await page.getByLabel('Libellé').fill('Résidence des Dunes');
  await page.getByLabel(/^Commune/).fill('Bray-Dunes');
  await page.getByLabel('Nature, ligne 1', { exact: true }).selectOption({ label: 'Construction neuve' });
  await page.getByLabel('Produit, ligne 1', { exact: true }).selectOption({ label: 'PLAI' });
  await page.getByLabel('Logements, ligne 1', { exact: true }).fill('dix-sept');
  await page.getByLabel('Année, ligne 1', { exact: true }).fill('2036');
  await page.getByRole('button', { name: "Enregistrer l'opération" }).click();
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').textContent(), /Ligne 1, Logements/);
  assert.equal(await page.getByLabel('Logements, ligne 1', { exact: true }).getAttribute('aria-invalid'), 'true');
  await axe(page, 'formulaire en erreur');
  await page.getByLabel('Logements, ligne 1', { exact: true }).fill('17');
  await page.getByRole('button', { name: "Enregistrer l'opération" }).click();
  await page.waitForURL(/\/operations\/\d+\?enregistree=1/);
  assert.match(await page.getByRole('status').textContent(), /enregistrée/);
  await axe(page, 'opération créée');
  const opUrl = page.url().replace(/\?.*/, '');
  await page.getByRole('link', { name: "Modifier l'opération" }).click();
  await page.waitForURL(/\/operations\/\d+\/modifier$/);
  await axe(page, 'formulaire de modification');
  await page.getByLabel('Stade, ligne 1', { exact: true }).selectOption({ label: 'Financé' });
  await page.getByLabel('Date du stade, ligne 1').fill('15/03/2026');
  await page.getByRole('button', { name: "Enregistrer l'opération" }).click();
  await page.waitForURL(/enregistree=1/);
  assert.match(await page.locator('.timeline').textContent(), /15\/03\/2026/);
  await page.goto(opUrl);
  step("lire l'historique de l'opération");
  const history = await page.locator('ol.history').textContent();
  assert.doesNotMatch(history, /bailleur_id|"stade"|\{/, "l'historique ne montre ni JSON ni identifiants internes");
  const change = page.getByRole('table', { name: /champs changés/ }).first();
  assert.match(await change.textContent(), /Stade\s*—\s*Financé/);
  assert.match(await change.textContent(), /Date du stade\s*—\s*15\/03\/2026/);
  assert.match(history, /Création — Opération/);
  assert.match(history, /Bailleur\s*Vilogia/);
  assert.match(history, /Commune\s*Bray-Dunes \(59107\)/);
  assert.match(history, /par admin \(page web\)/);
  await axe(page, 'historique de l\'opération');

  step('la voir dans la liste et dans le rapport');
  await page.goto(BASE + '/operations?q=residence+des+dunes');
  assert.deepEqual(await page.locator('tbody tr td:nth-child(2)').allTextContents(), ['VIL-PARCOURS-1']);
  await visit(page, '/rapports/production?annee_min=2036&annee_max=2036');
  const report = await page.locator('table.report').textContent();
  assert.match(report, /Bray-Dunes/);
  assert.match(report, /17/);

  step('la voir sur la carte');
  await visit(page, '/carte');
  await page.getByLabel('Année, de').fill('2036');
  await page.getByLabel('à', { exact: true }).fill('2036');
  await page.getByRole('button', { name: 'Afficher' }).click();
  await page.waitForURL(/annee_min=2036/);
  await axe(page, 'carte filtrée');
  const braydunes = page.locator('svg path', { has: page.locator('title', { hasText: /^Bray-Dunes : 17$/ }) });
  assert.equal(await braydunes.count(), 1, 'Bray-Dunes sur la carte avec ses 17 logements');
  assert.notEqual(await braydunes.getAttribute('fill'), '#f1f3f5');
  const mapRow = await page.locator('table tbody tr', { hasText: 'Bray-Dunes' }).textContent();
  assert.match(mapRow, /17/);
  await page.screenshot({ path: path.join(DOWNLOADS, 'carte.png'), fullPage: true });
  await visit(page, '/carte?indicateur=demolitions');
  // A bad year on the map is said in French, the map still drawn without that filter.
  await visit(page, '/carte?annee_min=deux-mille');
  assert.match(await page.getByRole('alert').textContent(), /Année, de : « deux-mille » n'est pas une année/);
  assert.ok(await page.locator('figure.map svg path').count() > 10);

  step('importer un fichier avec une erreur, lire l\'erreur, corriger, confirmer');
  const header = 'reference;bailleur;commune;libelle;nature;produit;logements;annee';
  const bad = [header,
    'VIL-IMP-1;Vilogia;Gravelines;Les Salines;Construction neuve;PLUS;12;2035',
    'VIL-IMP-1;Vilogia;Gravelines;Les Salines;Construction neuve;PLAI;4;2O35',
    ';;;Total;;;20;'].join('\r\n');
  await page.goto(BASE + '/operations');
  await page.getByRole('navigation', { name: 'Navigation principale' }).getByRole('link', { name: 'Importer' }).click();
  await page.waitForURL(BASE + '/import');
  await axe(page, 'import : formulaire');
  const input = page.getByLabel(/Fichier CSV ou Excel/);
  await input.setInputFiles({ name: 'salines.csv', mimeType: 'text/csv', buffer: Buffer.from(bad, 'utf8') });
  await page.getByRole('button', { name: 'Vérifier le fichier' }).click();
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').textContent(), /Import refusé : 1 erreur/);
  const errRow = await page.locator('table').first().locator('tbody tr').first().textContent();
  assert.match(errRow, /3/);
  assert.match(errRow, /annee/);
  assert.match(errRow, /2O35/);
  await axe(page, 'import : erreurs');
  await page.getByRole('link', { name: 'Envoyer un autre fichier' }).click();
  await page.waitForURL(BASE + '/import');
  await page.getByLabel(/Fichier CSV ou Excel/).setInputFiles({ name: 'salines.csv', mimeType: 'text/csv', buffer: Buffer.from(bad.replace('2O35', '2035'), 'utf8') });
  await page.getByRole('button', { name: 'Vérifier le fichier' }).click();
  await page.getByRole('button', { name: "Confirmer l'import" }).waitFor();
  const preview = await page.locator('main').textContent();
  assert.match(preview, /Ce que l'import changera/);
  assert.match(preview, /Opérations créées\s*1/);
  assert.match(preview, /Lignes créées\s*2/);
  // The declared total (20) disagrees with its detail (16): shown, detail kept.
  assert.match(preview, /Total\s*20\s*16\s*4/);
  await axe(page, 'import : aperçu');
  await page.getByRole('button', { name: "Confirmer l'import" }).click();
  await page.getByRole('status').waitFor();
  assert.match(await page.getByRole('status').textContent(), /Import enregistré/);
  await axe(page, 'import : terminé');
  await page.goto(BASE + '/operations?q=VIL-IMP-1');
  assert.equal(await page.locator('tbody tr').count(), 2);

  step('export XLSX des opérations');
  await page.goto(BASE + '/operations');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: /XLSX/ }).first().click(),
  ]);
  const file = path.join(DOWNLOADS, download.suggestedFilename());
  await download.saveAs(file);
  const head = fs.readFileSync(file).subarray(0, 2).toString('latin1');
  assert.equal(head, 'PK', 'le fichier XLSX doit être une archive');

  step('la banque foncière : carte, foncier, décision refusée puis prise, rapport, import en erreur');
  await page.getByRole('navigation', { name: 'Navigation principale' }).getByRole('link', { name: 'Foncier' }).click();
  await page.waitForURL(BASE + '/foncier');
  await axe(page, 'banque foncière');
  await fitsWindow(page, 'banque foncière');
  assert.equal(await page.locator('figure.map svg circle').count(), 13, 'les 13 fonciers de la CUD sur la carte');
  const moleRow = await page.locator('table tbody tr', { hasText: 'CUD-F-001' }).textContent();
  assert.match(moleRow, /Opération lancée/);
  await page.screenshot({ path: path.join(DOWNLOADS, 'foncier.png'), fullPage: true });
  await page.getByRole('link', { name: 'CUD-F-009' }).click();
  await page.waitForURL(/\/foncier\/\d+$/);
  await axe(page, 'un foncier proposé');
  await fitsWindow(page, 'un foncier proposé');
  await page.getByLabel('Décision', { exact: true }).selectOption({ label: 'Attribuer au bailleur choisi' });
  await page.getByLabel(/^Bailleur/).selectOption({ label: 'Vilogia' });
  await page.getByRole('button', { name: 'Enregistrer la décision' }).click();
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').textContent(), /donnez le motif de cette décision/);
  await axe(page, 'décision refusée');
  await page.getByLabel('Décision', { exact: true }).selectOption({ label: 'Attribuer au bailleur choisi' });
  await page.getByLabel(/^Bailleur/).selectOption({ label: 'Vilogia' });
  await page.getByLabel(/^Motif/).fill('comité foncier du 2 décembre');
  await page.getByRole('button', { name: 'Enregistrer la décision' }).click();
  await page.getByRole('status').waitFor();
  assert.match(await page.locator('main').textContent(), /Vilogia depuis le/);
  await axe(page, 'foncier attribué');
  await visit(page, '/foncier/rapport');
  assert.match(await page.locator('main').textContent(), /Délai médian de l'identification à l'attribution/);
  await visit(page, '/foncier/import');
  const badLand = 'foncier;commune;parcelles;proprietaire;statut\r\nCUD-F-099;Lille;rue du Port;EPCI;proposé';
  await page.getByLabel(/Fichier CSV ou Excel/).setInputFiles({ name: 'fonciers.csv', mimeType: 'text/csv', buffer: Buffer.from(badLand, 'utf8') });
  await page.getByRole('button', { name: 'Importer' }).click();
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').textContent(), /Import refusé : 2 erreur/);
  await axe(page, 'import foncier : erreurs');

  step('les appels d\'offres groupés et le coût de production');
  await page.getByRole('navigation', { name: 'Navigation principale' }).getByRole('link', { name: "Appels d'offres" }).click();
  await page.waitForURL(BASE + '/appels-offres');
  await axe(page, "appels d'offres");
  await fitsWindow(page, "appels d'offres");
  assert.equal(await page.getByRole('heading', { level: 2 }).count(), 2, 'les deux appels groupés de la démonstration');
  await page.getByRole('link', { name: 'Rapport des coûts de production' }).click();
  await page.waitForURL(BASE + '/appels-offres/couts');
  await axe(page, 'coûts de production');
  await fitsWindow(page, 'coûts de production');
  assert.match(await page.locator('main').textContent(), /Appel « AOG-2025-NEUF-01 »/);
  assert.ok(await page.locator('table.report tbody tr').count() > 0, 'des opérations groupées comparées');
  await page.goto(BASE + '/appels-offres');
  await page.getByLabel(/^Appel d'offres/).fill('AOG-2026-CHAUF-01');
  await page.getByLabel('Bailleur coordinateur').selectOption({ label: 'Vilogia' });
  await page.getByLabel('Nature des travaux').selectOption({ label: 'Chauffage' });
  await page.getByLabel('Lot', { exact: true }).fill('Lot 2 - Régulation');
  await page.getByLabel("Bailleur de l'opération").selectOption({ label: 'Flandre Opale Habitat' });
  await page.getByLabel(/^Opération/).fill('D2030-FOH-2027-004');
  await page.getByLabel('Estimation (€)').fill('120 000');
  await page.getByLabel('Montant attribué (€)').fill('110 000');
  await page.getByLabel("SIRET de l'attributaire").fill('12345678901234');
  await page.getByRole('button', { name: "Ajouter à l'appel d'offres" }).click();
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').textContent(), /SIRET invalide/);
  await axe(page, "ajout à un appel refusé");
  await page.getByLabel("SIRET de l'attributaire").fill('73282932000074');
  await page.getByRole('button', { name: "Ajouter à l'appel d'offres" }).click();
  await page.getByRole('status').waitFor();
  assert.match(await page.locator('main').textContent(), /D2030-FOH-2027-004/);
  await axe(page, "opération ajoutée à un appel");
  await visit(page, '/appels-offres/import');
  const badTender = 'appel;coordinateur;nature_travaux;lot;bailleur;operation;montant_attribue\r\nAOG-X;Vilogia;chauffage;Lot 1;Vilogia;;-5';
  await page.getByLabel(/Fichier CSV ou Excel/).setInputFiles({ name: 'appels.csv', mimeType: 'text/csv', buffer: Buffer.from(badTender, 'utf8') });
  await page.getByRole('button', { name: 'Importer' }).click();
  await page.getByRole('alert').waitFor();
  assert.match(await page.locator('main').textContent(), /un lot sans opération/);
  await axe(page, "import d'appels : erreurs");

  step('un bailleur exprime son intérêt pour un foncier proposé');
  await page.getByRole('button', { name: 'Se déconnecter' }).click();
  await page.waitForURL(/\/connexion/);
  await page.getByLabel('Identifiant').fill('foh');
  await page.getByLabel('Mot de passe').fill(PASSWORD);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.waitForURL(BASE + '/');
  await page.goto(BASE + '/foncier');
  assert.equal(await page.locator('table tbody tr', { hasText: 'CUD-F-011' }).count(), 0, 'un foncier seulement identifié reste à l\'EPCI');
  await page.getByRole('link', { name: 'CUD-F-010' }).click();
  await page.waitForURL(/\/foncier\/\d+$/);
  await page.getByLabel('Logements proposés').fill('soixante');
  await page.getByRole('button', { name: "Exprimer l'intérêt" }).click();
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').textContent(), /« soixante » n'est pas un nombre/);
  await page.getByLabel('Logements proposés').fill('60');
  await page.getByLabel(/^Produits/).fill('PLUS, PLAI');
  await page.getByRole('button', { name: "Exprimer l'intérêt" }).click();
  await page.getByRole('status').waitFor();
  assert.match(await page.locator('main').textContent(), /Intérêts exprimés/);
  await axe(page, 'intérêt exprimé');

  step("la gestion de proximité : un signalement de sa création à sa clôture");
  const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
  const login = async (who) => {
    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await page.waitForURL(/\/connexion/);
    await page.getByLabel('Identifiant').fill(who);
    await page.getByLabel('Mot de passe').fill(PASSWORD);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.waitForURL(BASE + '/');
  };
  await login('conciergerie');
  await page.getByRole('navigation', { name: 'Navigation principale' }).getByRole('link', { name: 'Proximité' }).click();
  await page.waitForURL(BASE + '/proximite');
  await axe(page, 'gestion de proximité : les sites');
  assert.equal(await page.locator('table tbody tr').count(), 6, 'les six sites de la CUD');
  await page.getByRole('link', { name: 'Banc Vert', exact: true }).click();
  await page.waitForURL(/\/proximite\/sites\/\d+$/);
  await axe(page, 'un site et sa table de compétences');
  assert.match(await page.getByRole('table', { name: /Qui répond de chaque thème/ }).textContent(), /Parties communes et bâti\s*Partenord Habitat/);
  await page.getByRole('link', { name: 'Nouveau signalement' }).click();
  await page.waitForURL(/\/proximite\/signalements\/nouveau$/);
  await axe(page, 'nouveau signalement');
  await page.getByLabel(/^Site/).selectOption({ label: 'Banc Vert' });
  await page.getByLabel(/^Thème/).selectOption({ label: 'Parties communes et bâti' });
  await page.getByLabel(/^Description/).fill('Porte du hall C arrachée, le hall reste ouvert la nuit');
  await page.getByLabel(/^Lieu/).fill('14 rue du Banc Vert, hall C');
  await page.getByLabel(/^Photos/).setInputFiles({ name: 'hall.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('ceci est un texte, pas une photo', 'utf8') });
  await page.getByRole('button', { name: 'Envoyer le signalement' }).click();
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').textContent(), /pas une photo JPEG ou PNG/);
  assert.equal(await page.getByLabel(/^Photos/).getAttribute('aria-invalid'), 'true');
  await axe(page, 'signalement refusé (photo)');
  await page.getByLabel(/^Photos/).setInputFiles({ name: 'hall.png', mimeType: 'image/png', buffer: PNG });
  await page.getByRole('button', { name: 'Envoyer le signalement' }).click();
  await page.waitForURL(/\/proximite\/signalements\/\d+\?cree=1/);
  assert.match(await page.getByRole('status').textContent(), /transmis au partenaire compétent/);
  assert.match(await page.locator('main').textContent(), /Partenord Habitat — Nouveau/);
  assert.equal(await page.locator('ul.photos img').count(), 1);
  await axe(page, 'signalement créé');
  const reportUrl = page.url().replace(/\?.*/, '');
  const reference = (await page.getByRole('heading', { level: 1 }).textContent()).replace('Signalement ', '').trim();

  step('le bailleur le prend en compte puis le clôt');
  await login('partenord');
  const toHandle = page.getByRole('navigation', { name: 'Navigation principale' }).getByRole('link', { name: /À traiter/ });
  assert.match(await toHandle.textContent(), /\d+/);
  await toHandle.click();
  await page.waitForURL(BASE + '/proximite/a-traiter');
  await axe(page, 'à traiter');
  await page.getByRole('link', { name: reference }).click();
  await page.waitForURL(reportUrl);
  await page.getByLabel('Nouvel état').selectOption({ label: 'Pris en compte' });
  await page.getByRole('button', { name: 'Enregistrer' }).click();
  await page.waitForURL(/enregistre=1/);
  assert.match(await page.locator('main').textContent(), /Partenord Habitat — Pris en compte/);
  await page.getByLabel('Nouvel état').selectOption({ label: 'Clos' });
  await page.getByRole('button', { name: 'Enregistrer' }).click();
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').textContent(), /donnez le motif/);
  await axe(page, 'clôture refusée sans motif');
  await page.getByLabel('Nouvel état').selectOption({ label: 'Clos' });
  await page.getByLabel(/^Motif/).selectOption({ label: 'traité' });
  await page.getByLabel(/^Précision/).fill('porte remplacée');
  await page.getByRole('button', { name: 'Enregistrer' }).click();
  await page.waitForURL(/enregistre=1/);
  await axe(page, 'signalement clos');

  step('qui a signalé suit ce qu\'il est devenu');
  await login('conciergerie');
  await page.goto(reportUrl);
  assert.match(await page.locator('main').textContent(), /Partenord Habitat — Clos/);
  assert.match(await page.locator('main').textContent(), /traité : porte remplacée/);
  await visit(page, '/proximite/signalements');
  assert.match(await page.locator('table tbody').textContent(), new RegExp(reference));
  await visit(page, '/proximite/conciergeries');

  step('les comités, les conciergeries et les salariés en mobilité');
  await login('admin');
  await page.goto(BASE + '/import/siap');
  await axe(page, 'import SIAP');
  const siapBatch = JSON.stringify({
    donneesMo: { nom: 'Bailleur absent de logis', siren: '732829320' },
    donneesLocalisation: { commune: { codeInsee: '59271' } },
    donneesOperation: { numeroOperation: '20250590099', nomOperation: 'Essai', sousNatureOperation: 'CNE' },
    detailsOperation: [{ aide: { code: 'PLUS' }, logement: { nbLogementsCollectifs: 12 } }],
    plansFinancement: [{ subventions: [{ type: 'PLUS', montant: 60000 }], prets: [], fondsPropres: 0 }],
  });
  await page.getByLabel('Fichier JSON').setInputFiles({ name: 'siap.json', mimeType: 'application/json', buffer: Buffer.from(siapBatch, 'utf8') });
  await page.getByRole('button', { name: 'Importer' }).click();
  await page.getByRole('alert').first().waitFor();
  assert.match(await page.getByRole('table', { name: /Erreurs, par opération/ }).textContent(), /20250590099.*donneesMo\.siren.*SIREN 732829320/s);
  await axe(page, 'import SIAP refusé');
  for (const p of ['/proximite/a-traiter', '/proximite/rapport', '/proximite/import', '/proximite/conciergeries', '/mobilite/import']) {
    await visit(page, p);
  }
  await page.goto(BASE + '/proximite/rapport');
  assert.match(await page.locator('main').textContent(), /quartiers où la démarche s'est concrétisée/);
  await page.goto(BASE + '/proximite');
  const newSite = page.getByRole('group', { name: 'Nouveau site' });
  await newSite.getByLabel('Nom du site').fill('Rosendaël');
  await newSite.getByLabel(/^Commune/).fill('Dunkerque');
  await newSite.getByRole('button', { name: 'Créer le site' }).click();
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').textContent(), /choisissez le bailleur/);
  await axe(page, 'nouveau site refusé');
  await page.getByRole('group', { name: 'Nouveau site' }).getByLabel('Nom du site').fill('Rosendaël');
  await page.getByRole('group', { name: 'Nouveau site' }).getByLabel(/^Commune/).fill('Dunkerque');
  await page.getByRole('group', { name: 'Nouveau site' }).getByLabel('Bailleur des bâtiments').selectOption({ label: 'Vilogia' });
  await page.getByRole('group', { name: 'Nouveau site' }).getByRole('button', { name: 'Créer le site' }).click();
  await page.waitForURL(/\/proximite\/sites\/\d+$/);
  assert.match(await page.getByRole('table', { name: /Qui répond de chaque thème/ }).textContent(), /Espaces verts\s*Ville de Dunkerque/);
  await axe(page, 'nouveau site');
  await page.getByRole('navigation', { name: 'Navigation principale' }).getByRole('link', { name: 'Mobilité' }).click();
  await page.waitForURL(BASE + '/mobilite');
  await axe(page, 'salariés en mobilité');
  assert.ok(await page.getByRole('img', { name: /Lits offerts et salariés attendus/ }).locator('rect').count() > 10);
  assert.match(await page.getByRole('table', { name: /par employeur/ }).textContent(), /Gigafactory des Dunes/);
  const offer = page.getByRole('group', { name: 'Une offre de logements' });
  const fillOffer = async (from) => {
    await offer.getByLabel("Référence de l'offre").fill('MOB-FOH-09');
    await offer.getByLabel(/^Commune/).fill('Dunkerque');
    await offer.getByLabel('Logements', { exact: true }).fill('6');
    await offer.getByLabel('Lits', { exact: true }).fill('8');
    await offer.getByLabel(/^Ouverte à partir de/).fill(from);
    await offer.getByRole('button', { name: "Enregistrer l'offre" }).click();
  };
  await fillOffer('mars 2027');
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').textContent(), /mois illisible/);
  await axe(page, 'offre refusée');
  await page.getByRole('group', { name: 'Une offre de logements' }).waitFor();
  await fillOffer('2027-03');
  await page.waitForURL(/enregistre=1/);
  await axe(page, 'offre enregistrée');

  step("le parc social : l'observatoire lit le RPLS par commune, par EPCI, le télécharge");
  await login('observatoire');
  await page.getByRole('navigation', { name: 'Navigation principale' }).getByRole('link', { name: 'Parc social' }).click();
  await page.waitForURL(BASE + '/parc');
  await axe(page, 'parc social par commune');
  assert.match(await page.getByRole('table', { name: /Parc locatif social au 1er janvier 2025 par commune/ }).textContent(), /Grande-Synthe/);
  assert.match(await page.getByRole('table', { name: 'Par période de construction' }).textContent(), /1949-1974/);
  assert.match(await page.getByRole('table', { name: /Estimation du taux SRU/ }).textContent(), /Dunkerque/);
  assert.match(await page.getByRole('table', { name: /Loyers du parc social/ }).textContent(), /PLUS \(13\)/);
  assert.ok(await page.getByRole('img', { name: 'Logements sociaux par commune' }).locator('path').count() >= 10, 'la carte du parc');
  await page.getByLabel('Échelle').selectOption({ label: 'EPCI' });
  await page.getByLabel('Millésime').selectOption({ label: '2024' });
  await page.getByRole('button', { name: 'Afficher' }).click();
  await page.waitForURL(/echelle=epci&millesime=2024/);
  await axe(page, 'parc social par EPCI, millésime 2024');
  assert.match(await page.getByRole('table', { name: /au 1er janvier 2024 par EPCI/ }).textContent(), /CU de Dunkerque/);
  const [parcCsv] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: /CSV/ }).first().click(),
  ]);
  const parcFile = path.join(DOWNLOADS, parcCsv.suggestedFilename());
  await parcCsv.saveAs(parcFile);
  assert.match(fs.readFileSync(parcFile, 'utf8'), /^\uFEFFmillesime;echelle;code;libelle;logements;en_qpv/);
  assert.equal(await page.getByRole('link', { name: 'Les logements un par un' }).count(), 0, "pas de logements un par un pour l'observatoire");
  await page.goto(BASE + '/parc?echelle=canton');
  await axe(page, 'parc social : échelle inconnue');
  assert.match(await page.locator('main').textContent(), /échelle « canton » inconnue/);
  await page.goto(BASE + '/parc');
  await page.getByRole('link', { name: 'Rénovation des logements miniers (ERBM)' }).click();
  await page.waitForURL(BASE + '/parc/erbm');
  await axe(page, 'rénovation des logements miniers');
  assert.match(await page.getByRole('table', { name: /Rénovation des logements miniers/ }).textContent(), /Cité des Électriciens/);
  await page.goto(BASE + '/parc');
  await login('agent');
  await page.goto(BASE + '/parc');
  await page.getByRole('link', { name: 'Les logements un par un' }).click();
  await page.getByLabel('Commune (nom ou code INSEE)').fill('Grande-Synthe');
  await page.getByRole('button', { name: 'Afficher' }).click();
  await page.waitForURL(/commune=Grande-Synthe/);
  await axe(page, 'parc social : logements un par un (EPCI)');
  assert.match(await page.getByRole('table', { name: /Logements de Grande-Synthe/ }).textContent(), /Action Logement|non réservé|loué/);

  step("le peuplement : l'observatoire lit l'occupation et les quartiers sensibles, l'EPCI règle, importe et tient les chartes, un bailleur lit ses données");
  await page.goto(BASE + '/parc');
  await login('observatoire');
  await page.getByRole('navigation', { name: 'Navigation principale' }).getByRole('link', { name: 'Peuplement' }).click();
  await page.waitForURL(BASE + '/peuplement');
  await axe(page, 'peuplement : occupation du parc');
  assert.match(await page.getByRole('table', { name: /Quartiers sensibles/ }).textContent(), /QN05905M \(Grande-Synthe\)/);
  assert.match(await page.getByRole('table', { name: /progressent de 2 points/ }).textContent(), /QN05905M/);
  assert.match(await page.getByRole('table', { name: /Occupation du parc social — enquête 2025/ }).textContent(), /Petite-Synthe/);
  await page.getByLabel('Population', { exact: true }).selectOption({ label: 'Emménagés récents (flux d\'attribution)' });
  await page.getByLabel('Enquête', { exact: true }).selectOption({ label: '2023' });
  await page.getByRole('button', { name: 'Afficher' }).click();
  await page.waitForURL(/enquete=2023&population=recents/);
  await axe(page, 'peuplement : emménagés récents 2023');
  const [occCsv] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: /CSV/ }).first().click(),
  ]);
  const occFile = path.join(DOWNLOADS, occCsv.suggestedFilename());
  await occCsv.saveAs(occFile);
  assert.match(fs.readFileSync(occFile, 'utf8'), /^\uFEFFenquete;population;echelle;code;libelle;epci;menages;indicateur;part;indice_concentration/);
  assert.equal(await page.getByRole('link', { name: 'Importer', exact: true }).count(), 0, "pas d'import pour l'observatoire");
  await page.getByRole('link', { name: "Objectifs d'attribution" }).click();
  await page.waitForURL(BASE + '/peuplement/attributions');
  await axe(page, "peuplement : objectifs d'attribution");
  assert.match(await page.locator('main').textContent(), /sous 25 %/);
  await page.getByRole('link', { name: 'Demande (SNE)' }).click();
  await page.waitForURL(BASE + '/peuplement/demande');
  await axe(page, 'peuplement : demande (SNE)');
  await page.getByRole('link', { name: 'Chartes de peuplement' }).click();
  await page.waitForURL(BASE + '/peuplement/chartes');
  await axe(page, 'peuplement : chartes');
  assert.match(await page.getByRole('table', { name: 'Nombre de chartes signées par année' }).textContent(), /2024/);
  await page.getByRole('link', { name: /Europe – Albeck/ }).click();
  await page.waitForURL(/\/peuplement\/chartes\/\d+/);
  await axe(page, 'peuplement : une charte et son quartier');
  assert.equal(await page.getByRole('table', { name: /par enquête/ }).locator('tbody tr').count(), 2, 'les deux enquêtes');
  await login('agent');
  await page.goto(BASE + '/peuplement/parametres');
  await axe(page, 'peuplement : seuils et règle');
  const threshold = page.getByRole('group', { name: 'Fixer un seuil' });
  await threshold.getByLabel('Année').fill('2026');
  await threshold.getByLabel(/^Seuil en euros/).fill('-10');
  await threshold.getByRole('button', { name: 'Fixer le seuil' }).click();
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').textContent(), /montant « -10 »/);
  await axe(page, 'peuplement : seuil refusé');
  const threshold2 = page.getByRole('group', { name: 'Fixer un seuil' });
  await threshold2.getByLabel('Année').fill('2026');
  await threshold2.getByLabel(/^Seuil en euros/).fill('10 800');
  await threshold2.getByRole('button', { name: 'Fixer le seuil' }).click();
  await page.waitForURL(/enregistre=1/);
  assert.match(await page.getByRole('table', { name: 'Seuils fixés' }).textContent(), /2026/);
  await page.getByRole('link', { name: 'Importer', exact: true }).click();
  await page.waitForURL(BASE + '/peuplement/import');
  await axe(page, 'peuplement : importer');
  const badSurvey = 'bailleur;commune;qpv;personnes;enfants;composition\nVilogia;59183;QN09999Z;2;4;tribu\n';
  const survey = page.getByRole('group', { name: /Enquête d'occupation/ });
  await survey.getByLabel(/Fichier CSV ou Excel/).setInputFiles({ name: 'occupation.csv', mimeType: 'text/csv', buffer: Buffer.from(badSurvey, 'utf8') });
  await survey.getByRole('button', { name: 'Importer' }).click();
  await page.getByRole('alert').first().waitFor();
  const refusedSurvey = await page.locator('main').textContent();
  assert.match(refusedSurvey, /inconnu du territoire/);
  assert.match(refusedSurvey, /au moins un adulte/);
  await axe(page, "peuplement : enquête d'occupation refusée");
  await page.goto(BASE + '/peuplement/chartes');
  const charter = page.getByRole('group', { name: 'Nouvelle charte' });
  await charter.getByLabel(/^Commune/).fill('Dunkerque');
  await charter.getByLabel(/^Quartier/).fill('Petite-Synthe');
  await charter.getByLabel('Titre').fill('Charte de peuplement de Petite-Synthe');
  await charter.getByLabel('Statut').selectOption({ label: 'Signée' });
  await charter.getByRole('button', { name: 'Enregistrer la charte' }).click();
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').textContent(), /une charte signée a une date de signature/);
  await axe(page, 'peuplement : charte refusée');
  const charter2 = page.getByRole('group', { name: 'Nouvelle charte' });
  await charter2.getByLabel(/^Date de signature/).fill('02/03/2025');
  await charter2.getByLabel('Familles monoparentales').check();
  await charter2.getByRole('button', { name: 'Enregistrer la charte' }).click();
  await page.waitForURL(/\/peuplement\/chartes\/\d+\?enregistre=1/);
  await axe(page, 'peuplement : charte enregistrée');
  assert.match(await page.getByRole('table', { name: /par enquête/ }).textContent(), /2025/);
  await page.getByRole('navigation', { name: 'Navigation principale' }).getByRole('link', { name: 'Plans de patrimoine' }).click();
  await page.waitForURL(BASE + '/psp');
  await axe(page, 'plans stratégiques de patrimoine');
  assert.ok(await page.getByRole('img', { name: /Logements dont les travaux/ }).locator('rect').count() >= 4);

  step("un plan stratégique de patrimoine : de l'envoi du fichier à l'action proposée, puis validée en comité");
  await login('partenord');
  await page.goto(BASE + '/psp/import');
  await axe(page, 'psp : importer');
  await page.getByLabel(/^Version/).fill('2027');
  await page.getByRole('button', { name: 'Choisir' }).click();
  await page.waitForURL(/version=2027/);
  const badPsp = 'residence;commune;quartier;logements;annee_construction;dpe;attractivite;etat_technique;strategie;annee_debut;annee_fin\nRésidence Jean Bart;Dunkerque;;40;1965;G;5;2;raser;1950;\n';
  await page.getByLabel(/Fichier CSV ou Excel/).setInputFiles({ name: 'psp-partenord.csv', mimeType: 'text/csv', buffer: Buffer.from(badPsp, 'utf8') });
  await page.getByRole('button', { name: 'Importer' }).click();
  await page.getByRole('alert').first().waitFor();
  const refusedPsp = await page.locator('main').textContent();
  assert.match(refusedPsp, /une note de 1 à 4 attendue/);
  assert.match(refusedPsp, /stratégie inconnu/);
  await axe(page, 'psp : fichier refusé');
  const goodPsp = 'residence;commune;quartier;logements;annee_construction;dpe;attractivite;etat_technique;strategie;annee_debut;annee_fin\nTour Europe;Grande-Synthe;Europe;120;1970;E;2;2;restructurer;2028;2030\nLes Glacis;Dunkerque;Glacis;120;1962;F;2;2;rehabiliter;2027;2029\nRésidence du Méridien;Coudekerque-Branche;;80;1975;G;2;2;rehabiliter;2025;2026\nRésidence Jean Bart;Dunkerque;;40;1965;G;2;2;maintenir;;\n';
  await page.getByLabel(/Fichier CSV ou Excel/).setInputFiles({ name: 'psp-partenord.csv', mimeType: 'text/csv', buffer: Buffer.from(goodPsp, 'utf8') });
  await page.getByRole('button', { name: 'Importer' }).click();
  await page.getByRole('status').first().waitFor();
  assert.match(await page.getByRole('status').first().textContent(), /importé/);
  await axe(page, 'psp : importé');
  await page.getByRole('link', { name: 'Partenariats', exact: true }).click();
  await page.waitForURL(BASE + '/psp/partenariats');
  await axe(page, 'psp : partenariats');
  await page.getByRole('button', { name: 'Partager mon PSP avec Charte Dunkerque 2030' }).click();
  await page.waitForURL(/enregistre=1/);
  assert.match(await page.locator('main').textContent(), /Partenord Habitat \(partage son PSP\)/);
  await page.getByRole('link', { name: 'Analyse croisée', exact: true }).click();
  await page.waitForURL(BASE + '/psp');
  await axe(page, 'psp : analyse croisée du bailleur');
  assert.match(await page.getByRole('table', { name: /Chevauchements/ }).textContent(), /Tour Europe/);
  await page.getByRole('link', { name: 'Proposer une action pour Résidence Jean Bart' }).click();
  await page.waitForURL(/\/psp\/actions\?constat=lacune/);
  await axe(page, 'psp : action proposée depuis un constat');
  const proposed = page.getByRole('group', { name: 'Proposer une action' });
  assert.equal(await proposed.getByLabel('Titre', { exact: true }).inputValue(), 'Réhabiliter Résidence Jean Bart avant 2025');
  await proposed.getByLabel('Année de fin', { exact: true }).fill('2020');
  await proposed.getByRole('button', { name: "Proposer l'action" }).click();
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').textContent(), /entre 2000 et 2100|antérieure/);
  await axe(page, 'psp : action refusée');
  const proposed2 = page.getByRole('group', { name: 'Proposer une action' });
  await proposed2.getByLabel('Année de début', { exact: true }).fill('2027');
  await proposed2.getByLabel('Année de fin', { exact: true }).fill('2028');
  await proposed2.getByRole('button', { name: "Proposer l'action" }).click();
  await page.waitForURL(/\/psp\/actions\/\d+\?enregistre=1/);
  const actionUrl = page.url().replace(/\?.*$/, '');
  await axe(page, 'psp : action enregistrée');
  assert.match(await page.locator('main').textContent(), /Résidence Jean Bart \(Dunkerque\), Partenord Habitat/);
  await login('agent');
  await page.goto(actionUrl);
  const decision = page.getByRole('group', { name: 'Enregistrer une décision du comité' });
  await decision.getByLabel(/^Date/).fill('01/12/2026');
  await decision.getByLabel('Décision', { exact: true }).fill('Validée : réhabilitation avancée à 2027.');
  await decision.getByLabel('Statut fixé').selectOption({ label: 'Validée en comité' });
  await decision.getByRole('button', { name: 'Enregistrer la décision' }).click();
  await page.waitForURL(/enregistre=1/);
  assert.match(await page.locator('main').textContent(), /01\/12\/2026 : Validée : réhabilitation avancée à 2027\. \(statut : Validée en comité\)/);
  await axe(page, 'psp : décision du comité');
  await visit(page, '/psp/actions');
  await visit(page, '/psp/versions');
  assert.match(await page.locator('main').textContent(), /Résidence Jean Bart.*ajoutée/s);
  await login('partenord');
  await page.goto(BASE + '/peuplement?donnees=miennes');
  await axe(page, 'peuplement : les données du bailleur');
  assert.match(await page.locator('main').textContent(), /vos données \(exactes\)/);

  step("le relogement : l'observatoire voit des agrégats, le CCAS ses ménages, la chargée de relogement tout");
  await login('observatoire');
  await page.getByRole('navigation', { name: 'Navigation principale' }).getByRole('link', { name: 'Relogement' }).click();
  await page.waitForURL(BASE + '/relogement');
  await axe(page, 'relogement : indicateurs (agrégats)');
  assert.match(await page.locator('main').textContent(), /< 5/);
  assert.ok(await page.getByRole('img', { name: /Reste à charge médian avant et après/ }).locator('rect').count() >= 8);
  assert.equal(await page.getByRole('link', { name: 'Ménages', exact: true }).count(), 0, "pas de ménages pour l'observatoire");
  await login('ccas');
  await page.goto(BASE + '/relogement/menages');
  await axe(page, 'relogement : ménages suivis par le CCAS');
  const followed = await page.locator('table tbody tr').count();
  assert.ok(followed > 0 && followed < 180, `ménages du CCAS : ${followed}`);
  await login('relogement');
  await page.goto(BASE + '/relogement');
  assert.doesNotMatch(await page.locator('main').textContent(), /< 5/);
  await axe(page, 'relogement : indicateurs exacts');
  await page.getByRole('link', { name: 'Ménages', exact: true }).click();
  await page.waitForURL(BASE + '/relogement/menages');
  await page.getByLabel('Statut').selectOption({ label: 'Diagnostic fait' });
  await page.getByLabel('Projet').selectOption({ label: 'COURGHAIN' });
  await page.getByRole('button', { name: 'Afficher' }).click();
  await page.waitForURL(/statut=diagnostic_fait/);
  await axe(page, 'relogement : ménages filtrés');
  await page.locator('table tbody tr th a').first().click();
  await page.waitForURL(/\/relogement\/menages\/\d+$/);
  await axe(page, "relogement : dossier d'un ménage");
  const householdUrl = page.url();
  const household = (await page.getByRole('heading', { level: 1 }).textContent()).replace('Ménage ', '').trim();
  const propose = page.getByRole('group', { name: /Faire une proposition/ });
  if (await propose.getByRole('button', { name: 'Proposer' }).count() > 0) {
    await propose.getByRole('button', { name: 'Proposer' }).click();
    await page.waitForURL(/enregistre=1/);
    assert.match(await page.locator('main').textContent(), /Proposition n° 1/);
    const answer = page.getByRole('group', { name: /Réponse à la proposition n° 1/ });
    await answer.getByLabel('Réponse').selectOption({ label: 'Refusée' });
    await answer.getByRole('button', { name: 'Enregistrer la réponse' }).click();
    await page.getByRole('alert').waitFor();
    assert.match(await page.getByRole('alert').textContent(), /un refus demande son motif/);
    await axe(page, 'relogement : refus sans motif');
    const again = page.getByRole('group', { name: /Réponse à la proposition n° 1/ });
    await again.getByLabel('Réponse').selectOption({ label: 'Acceptée' });
    await again.getByRole('button', { name: 'Enregistrer la réponse' }).click();
    await page.waitForURL(/enregistre=1/);
  }
  const move = page.getByRole('group', { name: 'Enregistrer le relogement' });
  await move.getByLabel(/^Loyer après/).fill('-12');
  await move.getByLabel(/^Charges après/).fill('80');
  await move.getByLabel(/^Aide au logement après/).fill('150');
  await move.getByRole('button', { name: 'Enregistrer le relogement' }).click();
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').textContent(), /est négatif/);
  await axe(page, 'relogement refusé (loyer négatif)');
  const move2 = page.getByRole('group', { name: 'Enregistrer le relogement' });
  await move2.getByLabel(/^Loyer après/).fill('412,50');
  await move2.getByLabel(/^Charges après/).fill('80');
  await move2.getByLabel(/^Aide au logement après/).fill('150');
  await move2.getByRole('button', { name: 'Enregistrer le relogement' }).click();
  await page.waitForURL(/enregistre=1/);
  assert.match(await page.locator('main').textContent(), /Relogement définitif/);
  await axe(page, 'ménage relogé');
  await page.getByRole('link', { name: 'Appariement' }).click();
  await page.getByRole('button', { name: 'Lancer' }).click();
  await page.waitForURL(/lancer=1/);
  await axe(page, "relogement : propositions de l'appariement");
  const proposals = page.getByRole('table', { name: /Propositions, une par ménage/ });
  assert.match(await proposals.textContent(), /commune (souhaitée n° \d|actuelle)|hors des communes souhaitées/);
  await proposals.getByRole('checkbox').first().check();
  await page.getByRole('button', { name: 'Enregistrer les propositions cochées' }).click();
  await page.getByRole('status').waitFor();
  assert.match(await page.getByRole('status').textContent(), /1 proposition\(s\) enregistrée\(s\)/);
  await axe(page, 'propositions gardées');
  for (const p of ['/relogement/logements', '/relogement/import']) {
    await visit(page, p);
  }
  await page.getByRole('link', { name: 'Journal des consultations' }).click();
  await axe(page, 'journal des consultations');
  assert.match(await page.locator('table tbody').textContent(), new RegExp(household));
  await page.goto(householdUrl);

  assert.deepEqual(errors, [], 'erreurs JavaScript dans la page');
  assert.deepEqual(tooWide, [], `pages plus larges que la fenêtre :\n${tooWide.join('\n')}`);
  console.log(`${checked.size} pages vérifiées par axe-core, 0 violation`);
  console.log('parcours terminé');
} catch (e) {
  const pages = browser.contexts().flatMap((c) => c.pages());
  for (const p of pages) {
    const shot = path.join(DOWNLOADS, 'echec.png');
    await p.screenshot({ path: shot, fullPage: true }).catch(() => {});
    console.error(`page au moment de l'échec : ${p.url()} (capture : ${shot})`);
    console.error((await p.content().catch(() => '')).slice(0, 4000));
  }
  throw e;
} finally {
  await browser.close();
}
