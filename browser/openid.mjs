// The login through a real OpenID provider (browser/oidc-provider.mjs, started by the test):
// an invited person logs in and lands on the dashboard; the provider's answer replayed is
// refused; a SIRET that is not the invited organisation's is refused with the reason; an
// unknown e-mail is told to ask for an invitation; a tampered ID token is refused. Every logis
// page checked with axe-core. Environment: LOGIS_URL, LOGIS_ISSUER, LOGIS_CHROMIUM.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const BASE = process.env.LOGIS_URL;
const ISSUER = process.env.LOGIS_ISSUER;
const AXE = readFileSync(new URL('./node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');

async function axe(page, what) {
  await page.addScriptTag({ content: AXE });
  const r = await page.evaluate(async () => await window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }));
  const v = r.violations.map((x) => `${x.id} : ${x.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  assert.deepEqual(v, [], `axe, ${what}`);
}

function step(name) {
  console.log(`• ${name}`);
}

const browser = await chromium.launch({ executablePath: process.env.LOGIS_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const context = await browser.newContext({ bypassCSP: true, locale: 'fr-FR' });
  const page = await context.newPage();
  let callback = null;
  page.on('request', (r) => {
    if (r.url().includes('/connexion/openid/retour')) callback = r.url();
  });

  /** From logis's login page through the provider's pages; the response logis gives back. */
  async function viaProvider(login) {
    // (The provider's own session forgotten: each login goes through its pages.)
    await context.clearCookies();
    await page.goto(BASE + '/connexion');
    await page.getByRole('link', { name: 'Se connecter avec ProConnect' }).click();
    await page.waitForURL((u) => u.toString().startsWith(ISSUER));
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('peu-importe');
    const back = page.waitForResponse((r) => r.url().includes('/connexion/openid/retour'), { timeout: 20000 });
    await page.locator('button[type="submit"]').click();
    // The consent page, when the provider asks for it (then logis's answer).
    for (let i = 0; i < 3; i++) {
      await page.waitForLoadState('load');
      if (!page.url().startsWith(ISSUER)) break;
      const button = page.locator('button[type="submit"]');
      if (await button.count() === 0) break;
      await button.first().click();
    }
    const res = await back;
    await page.waitForLoadState('load');
    return res;
  }

  step("l'administrateur invite une personne de Vilogia");
  await page.goto(BASE + '/connexion');
  await axe(page, 'connexion avec ProConnect');
  await page.getByLabel('Identifiant').fill('admin');
  await page.getByLabel('Mot de passe').fill(process.env.LOGIS_PASSWORD);
  await page.getByRole('button', { name: 'Se connecter', exact: true }).click();
  await page.waitForURL(BASE + '/');
  await page.goto(BASE + '/admin/utilisateurs');
  const invite = page.getByRole('group', { name: 'Inviter une personne' });
  await invite.getByLabel('Adresse électronique').fill('camille@vilogia');
  await invite.getByLabel('Rôle', { exact: true }).selectOption({ label: 'Bailleur (lecture)' });
  await invite.getByLabel('Organisation', { exact: true }).selectOption({ label: 'Vilogia (Bailleur social)' });
  await invite.getByRole('button', { name: 'Inviter' }).click();
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').textContent(), /adresse électronique invalide/);
  await axe(page, 'invitation refusée');
  const invite2 = page.getByRole('group', { name: 'Inviter une personne' });
  await invite2.getByLabel('Adresse électronique').fill('Camille@Vilogia.test');
  await invite2.getByLabel('Rôle', { exact: true }).selectOption({ label: 'Bailleur (lecture)' });
  await invite2.getByLabel('Organisation', { exact: true }).selectOption({ label: 'Vilogia (Bailleur social)' });
  await invite2.getByRole('button', { name: 'Inviter' }).click();
  await page.getByRole('status').waitFor();
  assert.match(await page.getByRole('table', { name: 'Invitations' }).textContent(), /camille@vilogia\.test/);
  await axe(page, 'invitations');
  await page.getByRole('button', { name: 'Se déconnecter' }).click();
  await page.waitForURL(/\/connexion/);

  step('une personne invitée se connecte et arrive au tableau de bord');
  await viaProvider('camille');
  await page.waitForURL(BASE + '/');
  await page.getByRole('button', { name: 'Se déconnecter' }).waitFor();
  await axe(page, 'tableau de bord après ProConnect');
  assert.ok(callback, 'le retour du fournisseur a été vu');

  step('la réponse du fournisseur rejouée est refusée');
  const replay = await page.goto(callback);
  assert.equal(replay.status(), 400);
  assert.match(await page.locator('main').textContent(), /déjà servi/);
  await axe(page, 'retour rejoué');
  await page.goto(BASE + '/');
  await page.getByRole('button', { name: 'Se déconnecter' }).click();
  await page.waitForURL(/\/connexion/);

  step("un SIRET qui n'est pas celui de l'organisation invitée est refusé, avec la raison");
  let res = await viaProvider('dominique');
  assert.equal(res.status(), 403);
  assert.match(await page.locator('main').textContent(), /n'est pas un établissement de Communauté urbaine de Dunkerque/);
  await axe(page, 'SIRET refusé');

  step('une adresse inconnue : une invitation est nécessaire, aucun compte créé');
  res = await viaProvider('inconnu');
  assert.equal(res.status(), 403);
  assert.match(await page.locator('main').textContent(), /un administrateur de logis doit d'abord vous inviter/);

  step("un jeton d'identité falsifié est refusé");
  const on = await fetch(ISSUER + '/test/falsifier?on=1');
  assert.equal(on.status, 200);
  await context.clearCookies();
  res = await viaProvider('camille');
  assert.equal(res.status(), 403);
  assert.match(await page.locator('main').textContent(), /jeton d'identité invalide/);
  await axe(page, 'jeton falsifié');
  await fetch(ISSUER + '/test/falsifier?on=0');
  console.log('parcours terminé');
} finally {
  await browser.close();
}
