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
