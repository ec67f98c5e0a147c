import { initAll } from '/vendor/govuk-frontend.min.js'

initAll()

// Copy buttons: <button class="app-copy" data-copy="ID" hidden> copies the value of the field with
// that id. They are hidden until this runs, so without JavaScript the field is there to copy by hand.
for (const button of document.querySelectorAll('button.app-copy[data-copy]')) {
  const field = document.getElementById(button.dataset.copy)
  if (!field || !navigator.clipboard) continue
  const label = button.textContent
  button.hidden = false
  button.addEventListener('click', async () => {
    await navigator.clipboard.writeText(field.value)
    button.textContent = 'Copied'
    setTimeout(() => { button.textContent = label }, 2000)
  })
}

// Conditional radios: the fields under the chosen radio show, the others hide. Without JavaScript
// (or before this runs) every block shows, so every field can be filled in.
for (const group of document.querySelectorAll('[data-app-conditional-radios]')) {
  const inputs = [...group.querySelectorAll('input[type=radio][aria-controls]')]
  const sync = () => {
    for (const input of inputs) {
      const block = document.getElementById(input.getAttribute('aria-controls'))
      if (block) block.classList.toggle('govuk-radios__conditional--hidden', !input.checked)
    }
  }
  for (const input of inputs) input.addEventListener('change', sync)
  sync()
}

// A table that scrolls sideways on a narrow screen (static/scss/app.scss) can be scrolled from the
// keyboard: it takes focus when it scrolls and holds nothing else that can.
const focusable = 'a[href], button, input, select, textarea, [tabindex]'
function scrollableTables () {
  for (const table of document.querySelectorAll('table.govuk-table')) {
    const scrolls = table.scrollWidth > table.clientWidth + 1
    if (scrolls && !table.querySelector(focusable)) table.setAttribute('tabindex', '0')
    else if (!scrolls && table.getAttribute('tabindex') === '0') table.removeAttribute('tabindex')
  }
}
scrollableTables()
window.addEventListener('resize', scrollableTables)
