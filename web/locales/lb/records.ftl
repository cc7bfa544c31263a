## Kuerz medezinesch Akt (Patienteberäich, Säit vum Rendez-vous)
mr-title = Medezinesch Akt
mr-for = Medezinesch Akt vum { $name }
mr-intro = D'Dokteren, bei deenen Dir e Rendez-vous hutt, liesen dat virun der Konsultatioun. Fëllt aus, wat op Iech zoutrëfft, a loosst de Rescht eidel.
mr-history = Virgeschicht
mr-history-hint = Fréier Krankheeten, Operatiounen, chronesch Krankheeten.
mr-allergies = Allergien
mr-allergies-hint = Medikamenter, Iessen oder anescht, mat der Reaktioun, wann Dir se kennt.
mr-treatments = Aktuell Behandlungen
mr-treatments-hint = Medikamenter a Behandlungen, déi Dir elo huelt, mat der Dosis, wann Dir se kennt.
mr-save = Medezinesch Akt späicheren
mr-saved = Medezinesch Akt gespäichert. Den Dokter gesäit en virun Ärer Konsultatioun.
mr-updated = Lescht Ännerung: { $date }.
mr-error-part = Maximal 4000 Zeechen, ouni Steierzeechen.
mr-section-title = Medezinesch Akt, vum Patient ausgefëllt
mr-not-filled = De Patient huet keng medezinesch Akt ausgefëllt.
mr-none-declared = Näischt uginn
mr-fill-link = Medezinesch Akt fir den Dokter ausfëllen
