"""Front ends: thin adapters that turn their input into Engine.reply calls and render the Reply."""
