document.body.textContent = "playrouter";
