"""Phone-script training (issue 13): trainee advisors play the advisor against a simulated
customer and are scored against the dealer's own booking script. Pure Python; imports
neither rasa nor fastapi."""
